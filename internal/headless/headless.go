package headless

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// Browser follows redirects with a cookie jar.
type Browser struct {
	c *http.Client
	// StopAt, if set, stops redirects to URLs with this prefix: the
	// response is returned with Location set (e.g. the CLI's loopback).
	StopAt string
}

// New returns a browser with an empty cookie jar.
func New() *Browser {
	jar, _ := cookiejar.New(nil)
	b := &Browser{}
	b.c = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if b.StopAt != "" && strings.HasPrefix(req.URL.String(), b.StopAt) {
			return http.ErrUseLastResponse
		}
		if len(via) > 10 {
			return errors.New("too many redirects")
		}
		return nil
	}}
	return b
}

// Page is a fetched page.
type Page struct {
	URL    *url.URL
	Status int
	Header http.Header
	Body   string
}

// Location is the redirect target of a stopped redirect.
func (p *Page) Location() string { return p.Header.Get("Location") }

// Get fetches u.
func (b *Browser) Get(u string) (*Page, error) {
	resp, err := b.c.Get(u)
	if err != nil {
		return nil, err
	}
	return read(resp)
}

// Post submits a form to u.
func (b *Browser) Post(u string, form url.Values) (*Page, error) {
	resp, err := b.c.PostForm(u, form)
	if err != nil {
		return nil, err
	}
	return read(resp)
}

func read(resp *http.Response) (*Page, error) {
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	return &Page{URL: resp.Request.URL, Status: resp.StatusCode, Header: resp.Header, Body: string(body)}, nil
}

// Form is an HTML form of a page.
type Form struct {
	Action string // absolute
	Method string
	Fields url.Values
}

// Forms returns the page's forms with their input fields' values.
func (p *Page) Forms() ([]Form, error) {
	doc, err := html.Parse(strings.NewReader(p.Body))
	if err != nil {
		return nil, err
	}
	var forms []Form
	var cur *Form
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				action, _ := p.URL.Parse(attr(n, "action"))
				forms = append(forms, Form{Action: action.String(), Method: strings.ToUpper(cmpOr(attr(n, "method"), "GET")), Fields: url.Values{}})
				cur = &forms[len(forms)-1]
				defer func() { cur = nil }()
			case "input", "textarea", "select":
				if cur != nil && attr(n, "name") != "" && attr(n, "type") != "submit" {
					cur.Fields.Set(attr(n, "name"), attr(n, "value"))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return forms, nil
}

// Submit fills the page's only form (or the first with the given field)
// with values and submits it.
func (b *Browser) Submit(p *Page, values map[string]string) (*Page, error) {
	forms, err := p.Forms()
	if err != nil {
		return nil, err
	}
	if len(forms) == 0 {
		return nil, fmt.Errorf("headless: %s (%d) has no form: %.300s", p.URL, p.Status, p.Body)
	}
	f := forms[0]
	for k, v := range values {
		f.Fields.Set(k, v)
	}
	if f.Method == "GET" {
		u, _ := url.Parse(f.Action)
		u.RawQuery = f.Fields.Encode()
		return b.Get(u.String())
	}
	return b.Post(f.Action, f.Fields)
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
