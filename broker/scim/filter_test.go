package scim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// directory seeds users and groups for the filter tests and returns their
// ids by short name.
func directory(t testing.TB, e *env) map[string]string {
	t.Helper()
	ids := map[string]string{}
	ids["ada"] = e.createUser("Ada.King@example.com", `,"externalId":"00uADA","displayName":"Ada King",
		"name":{"givenName":"Ada","familyName":"King"},"title":"Countess 100%",
		"phoneNumbers":[{"value":"+44 20 1","type":"work","primary":true}],
		"emails":[{"value":"ada@work.example.com","type":"work","primary":true},{"value":"ada@home.example.com","type":"home"}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701","department":"Finance"}`)
	ids["bob"] = e.createUser("bob@example.com", `,"externalId":"00uBOB","displayName":"Bob",
		"name":{"givenName":"Bob","familyName":"Ross"},"title":"painter_1",
		"phoneNumbers":[{"value":"+1 555","type":"mobile"},{"value":"+1 556","type":"work"}],
		"emails":[{"value":"bob@home.example.com","type":"home"}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"702","department":"Finance","manager":{"value":"`+ids["ada"]+`"}}`)
	ids["cy"] = e.createUser("cy@example.com", `,"active":false,"displayName":"Cy","name":{"givenName":"Émile"}`)
	ids["fin"] = e.must(http.StatusCreated, "POST", "/scim/v2/Groups",
		`{"displayName":"finance","externalId":"00gFIN","members":[{"value":"`+ids["ada"]+`"},{"value":"`+ids["bob"]+`"}]}`)["id"].(string)
	ids["eng"] = e.must(http.StatusCreated, "POST", "/scim/v2/Groups", `{"displayName":"Engineering","members":[{"value":"`+ids["bob"]+`"}]}`)["id"].(string)
	e.events()
	return ids
}

func listIDs(t *testing.T, e *env, resource, filter string) []string {
	t.Helper()
	got := e.must(http.StatusOK, "GET", "/scim/v2/"+resource+"?filter="+url.QueryEscape(filter), "")
	var ids []string
	for _, r := range got["Resources"].([]any) {
		ids = append(ids, r.(map[string]any)["id"].(string))
	}
	if got["totalResults"] != float64(len(ids)) {
		t.Errorf("filter %q: totalResults %v, want %d", filter, got["totalResults"], len(ids))
	}
	return ids
}

func TestFilters(t *testing.T) {
	e := newEnv(t)
	ids := directory(t, e)
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	// Times are those the responses carry, to the second.
	created := map[string]time.Time{}
	for _, n := range []string{"ada", "bob", "cy"} {
		c, err := time.Parse(time.RFC3339, path(e.must(http.StatusOK, "GET", "/scim/v2/Users/"+ids[n], ""), "meta", "created").(string))
		if err != nil {
			t.Fatal(err)
		}
		created[n] = c
	}
	bobCreated := created["bob"]
	createdIs := func(f func(time.Time) bool) []string {
		var out []string
		for _, n := range []string{"ada", "bob", "cy"} {
			if f(created[n]) {
				out = append(out, n)
			}
		}
		return out
	}
	tests := []struct {
		resource, filter string
		want             []string
	}{
		{"Users", `userName eq "ada.king@example.com"`, []string{"ada"}},
		{"Users", `userName EQ "ADA.KING@EXAMPLE.COM"`, []string{"ada"}},
		{"Users", `urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob@example.com"`, []string{"bob"}},
		{"Users", `userName eq "nobody@example.com"`, nil},
		{"Users", `externalId eq "00uADA"`, []string{"ada"}},
		{"Users", `externalId eq "00uada"`, nil}, // externalId is case-exact
		{"Users", `displayName eq "ada king"`, []string{"ada"}},
		{"Users", `emails[type eq "work"].value eq "ADA@work.example.com"`, []string{"ada"}},
		{"Users", `emails[type eq "work"].value eq "ada@home.example.com"`, nil},
		{"Users", `emails[type eq "home" and value eq "bob@home.example.com"]`, []string{"bob"}},
		{"Users", `emails.value eq "ada@home.example.com"`, []string{"ada"}},
		{"Users", `emails eq "bob@home.example.com"`, []string{"bob"}},
		{"Users", ent + `:employeeNumber eq "702"`, []string{"bob"}},
		{"Users", ent + `:department eq "finance"`, []string{"ada", "bob"}},
		{"Users", ent + `:manager.value eq "` + ids["ada"] + `"`, []string{"bob"}},
		{"Users", `userName eq "bob@example.com" and ` + ent + `:department eq "Finance"`, []string{"bob"}},
		{"Users", `userName eq "bob@example.com" and userName eq "ada.king@example.com"`, nil},
		{"Users", `active eq false`, []string{"cy"}},
		{"Users", `id eq "` + ids["cy"] + `"`, []string{"cy"}},
		{"Users", `id eq "` + ids["cy"] + `" and active eq true`, nil},
		{"Users", `groups eq "` + ids["eng"] + `"`, []string{"bob"}},
		// The operators RFC 7644 3.4.2.2 defines, on strings.
		{"Users", `userName ne "bob@example.com"`, []string{"ada", "cy"}},
		{"Users", `userName co "KING"`, []string{"ada"}},
		{"Users", `userName sw "B"`, []string{"bob"}},
		{"Users", `userName ew "@EXAMPLE.COM"`, []string{"ada", "bob", "cy"}},
		{"Users", `userName gt "b"`, []string{"bob", "cy"}},
		{"Users", `userName ge "bob@example.com"`, []string{"bob", "cy"}},
		{"Users", `userName lt "b"`, []string{"ada"}},
		{"Users", `userName le "bob@example.com"`, []string{"ada", "bob"}},
		{"Users", `userName pr`, []string{"ada", "bob", "cy"}},
		{"Users", `externalId pr`, []string{"ada", "bob"}},
		{"Users", `externalId sw "00ub"`, nil}, // caseExact
		{"Users", `externalId sw "00uB"`, []string{"bob"}},
		{"Users", `externalId ne "00uBOB"`, []string{"ada", "cy"}},
		{"Users", `name.givenName eq "émile"`, []string{"cy"}},
		{"Users", `name.familyName co "o"`, []string{"bob"}},
		{"Users", `name pr`, []string{"ada", "bob", "cy"}},
		{"Users", `name.familyName pr`, []string{"ada", "bob"}},
		{"Users", `title co "%"`, []string{"ada"}},
		{"Users", `title co "_"`, []string{"bob"}},
		{"Users", `title ew "0%"`, []string{"ada"}},
		{"Users", `title eq null`, []string{"cy"}},
		{"Users", `title ne null`, []string{"ada", "bob"}},
		// Booleans and times.
		{"Users", `active ne true`, []string{"cy"}},
		{"Users", `active eq true and not (externalId pr)`, nil},
		{"Users", `meta.created eq "` + bobCreated.Format(time.RFC3339) + `"`, createdIs(func(t time.Time) bool { return t.Equal(bobCreated) })},
		{"Users", `meta.created eq "` + bobCreated.Add(time.Millisecond).Format(time.RFC3339Nano) + `"`, nil}, // rendered times have no fraction
		{"Users", `meta.created ne "` + bobCreated.Format(time.RFC3339) + `"`, createdIs(func(t time.Time) bool { return !t.Equal(bobCreated) })},
		{"Users", `meta.created gt "` + bobCreated.Format(time.RFC3339) + `"`, createdIs(func(t time.Time) bool { return t.After(bobCreated) })},
		{"Users", `meta.created ge "` + bobCreated.Format(time.RFC3339) + `"`, createdIs(func(t time.Time) bool { return !t.Before(bobCreated) })},
		{"Users", `meta.created lt "` + bobCreated.Format(time.RFC3339) + `"`, createdIs(func(t time.Time) bool { return t.Before(bobCreated) })},
		{"Users", `meta.created le "` + bobCreated.Add(-time.Second).Format(time.RFC3339) + `"`, createdIs(func(t time.Time) bool { return t.Before(bobCreated) })},
		{"Users", `meta.created lt "` + bobCreated.Add(time.Millisecond).Format(time.RFC3339Nano) + `"`, createdIs(func(t time.Time) bool { return !t.After(bobCreated) })},
		{"Users", `meta.lastModified gt "2011-05-13T04:42:34Z"`, []string{"ada", "bob", "cy"}},
		{"Users", `meta.lastModified lt "2011-05-13T04:42:34+02:00"`, nil},
		{"Users", `meta.resourceType eq "User"`, []string{"ada", "bob", "cy"}},
		// Logic: or, not, parentheses, precedence (and binds tighter).
		{"Users", `userName eq "bob@example.com" or userName eq "cy@example.com"`, []string{"bob", "cy"}},
		{"Users", `userName eq "cy@example.com" or userName eq "bob@example.com" and active eq false`, []string{"cy"}},
		{"Users", `(userName eq "cy@example.com" or userName eq "bob@example.com") and active eq true`, []string{"bob"}},
		{"Users", `not (userName eq "bob@example.com")`, []string{"ada", "cy"}},
		{"Users", `not (name.givenName eq "ada")`, []string{"bob", "cy"}},
		{"Users", `NOT(active eq true) OR externalId EQ "00uADA"`, []string{"ada", "cy"}},
		// Value paths, with any filter inside the brackets.
		{"Users", `emails[type eq "work" and value co "@WORK.example.com"]`, []string{"ada"}},
		{"Users", `emails[type eq "work" or type eq "home"]`, []string{"ada", "bob"}},
		{"Users", `emails[not (type eq "work")]`, []string{"ada", "bob"}},
		{"Users", `emails[(type eq "work" or type eq "home") and value sw "bob"]`, []string{"bob"}},
		{"Users", `emails[type eq "work" or type eq "home"].value ew "home.example.com"`, []string{"ada", "bob"}},
		{"Users", `emails[primary eq true]`, []string{"ada"}},
		{"Users", `emails pr`, []string{"ada", "bob"}},
		{"Users", `not (emails pr)`, []string{"cy"}},
		{"Users", `emails.value co "home"`, []string{"ada", "bob"}},
		{"Users", `phoneNumbers[type eq "work" and primary eq true]`, []string{"ada"}},
		{"Users", `phoneNumbers[type eq "work"].value sw "+1"`, []string{"bob"}},
		{"Users", `phoneNumbers.value sw "+44"`, []string{"ada"}},
		{"Users", `groups[display eq "engineering"]`, []string{"bob"}},
		{"Users", `groups[type eq "direct"]`, []string{"ada", "bob"}},
		{"Users", `groups.type eq "indirect"`, nil},
		{"Users", ent + `:department sw "fin" and ` + ent + `:employeeNumber gt "701"`, []string{"bob"}},
		{"Users", `urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "Ada"`, []string{"ada"}},
		{"Groups", `displayName eq "FINANCE"`, []string{"fin"}},
		{"Groups", `displayName sw "f" or displayName sw "E"`, []string{"fin", "eng"}},
		{"Groups", `displayName gt "F"`, []string{"fin"}},
		{"Groups", `not (externalId pr)`, []string{"eng"}},
		{"Groups", `members[value eq "` + ids["bob"] + `" or value eq "` + ids["ada"] + `"]`, []string{"fin", "eng"}},
		{"Groups", `members[type eq "User" and value eq "` + ids["ada"] + `"]`, []string{"fin"}},
		{"Groups", `members pr and not (members[value eq "` + ids["bob"] + `"])`, nil},
		{"Groups", `meta.resourceType eq "User"`, nil},
		{"Groups", `displayName eq "FINANCE"`, []string{"fin"}},
		{"Groups", `externalId eq "00gFIN"`, []string{"fin"}},
		{"Groups", `members eq "` + ids["bob"] + `"`, []string{"fin", "eng"}},
		{"Groups", `members.value eq "` + ids["ada"] + `"`, []string{"fin"}},
		{"Groups", `members[value eq "` + ids["ada"] + `"]`, []string{"fin"}},
		{"Groups", `displayName eq "Engineering" and members eq "` + ids["ada"] + `"`, nil},
		{"Groups", `id eq "` + ids["eng"] + `" and members eq "` + ids["bob"] + `"`, []string{"eng"}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			var want []string
			for _, n := range tt.want {
				want = append(want, ids[n])
			}
			if diff := cmp.Diff(want, listIDs(t, e, tt.resource, tt.filter), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("GET /%s?filter=%s (-want +got):\n%s", tt.resource, tt.filter, diff)
			}
		})
	}
}

// Filters are parsed, never pasted into SQL: hostile text either fails to
// parse (400 invalidFilter) or is a string that matches nothing.
func TestFilterInjection(t *testing.T) {
	e := newEnv(t)
	directory(t, e)
	invalid := []string{
		`userName eq "a" or "1" eq "1"`,
		`userName eq "x" OR 1=1`,
		`userName eq 'x' or '1'='1'`,
		`userName eq "a"; DROP TABLE dir_users; --`,
		`userName eq "a" -- comment`,
		`userName eq "a" /* comment */`,
		`userName like "a%"`,
		`userName eq "a" xor userName eq "b"`,
		`userName co`,
		`userName pr "a"`,
		`active gt false`,
		`active co "t"`,
		`x509Certificates.value gt "a"`,
		`meta.created co "2026"`,
		`meta.created eq "yesterday"`,
		`meta.created eq 1`,
		`meta.location eq "x"`,
		`meta.version pr`,
		`emails.display eq "x"`,
		`members.display eq "x"`,
		`title gt null`,
		`name eq "x"`,
		`name.nickName eq "x"`,
		`emails[display eq "x"]`,
		`emails.iisValuePath0 pr`,
		`emails[type eq "work"]` + strings.Repeat(" or emails[type eq \"work\"]", 60),
		strings.Repeat("not (", 9) + `userName pr` + strings.Repeat(")", 9),
		strings.Repeat(`userName pr or `, 50) + `userName pr`,
		`emails[type eq "work"`,
		`emails[type eq "work"]]`,
		`((userName eq "a")`,
		`userName eq "unterminated`,
		`userName eq "bad \q escape"`,
		`userName eq "a\u0000b"`,
		"userName eq \"a\x00b\"",
		"userName eq \"a\nb\"",
		`shoeSize eq "9"`,
		`urn:evil:schema:User:userName eq "a"`,
		`userName eq true`,
		`active eq "true"`,
		`emails[emails[type eq "x"]]`,
		`emails[type eq "work"].value`,
		`emails[type eq "work"].value eq`,
		`name[givenName eq "x"]`,
		`userName eq "` + strings.Repeat("a", 4100) + `"`,
		strings.Repeat("(", 600) + `userName eq "a"` + strings.Repeat(")", 600),
		``,
	}
	for _, f := range invalid {
		if f == "" {
			continue
		}
		w := e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(f), "")
		if w.Code != http.StatusBadRequest {
			t.Errorf("filter %.80q = %d %s, want 400", f, w.Code, w.Body)
			continue
		}
		checkError(t, w, decode(t, w), http.StatusBadRequest, "invalidFilter")
	}
	noMatch := []string{
		`userName eq "x\" or \"1\" eq \"1"`,
		`userName co "' OR '1'='1"`,
		`userName sw "%"`,
		`userName ew "_"`,
		`userName co "\\"`,
		`title co "\\%"`,
		`displayName co "%%"`,
		`emails[value co "%" or value co "_"]`,
		`name.givenName eq "\u0041da\"; --"`,
		`userName eq "iisValuePath0"`,
		`userName eq "a'; DROP TABLE dir_users; --"`,
		`userName eq "' OR '1'='1"`,
		`displayName eq "%"`,
		`externalId eq "_"`,
		`emails[type eq "work"].value eq "%@%"`,
		`userName eq "*"`,
	}
	for _, f := range noMatch {
		if got := listIDs(t, e, "Users", f); len(got) != 0 {
			t.Errorf("filter %q matched %v, want nothing", f, got)
		}
	}
	// The directory is intact.
	if got := e.must(http.StatusOK, "GET", "/scim/v2/Users", ""); got["totalResults"] != 3.0 {
		t.Errorf("users after the injection attempts = %v, want 3", got["totalResults"])
	}
}
