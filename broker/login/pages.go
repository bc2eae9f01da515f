package login

import (
	"html/template"
	"net/http"
)

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · Dataproc IIS</title>
<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em}code{font-size:1.2em}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Message}}</p></body></html>
`))

// page answers with a small HTML page (the browser side of a login).
func (s *Server) page(w http.ResponseWriter, status int, title, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	pageTmpl.Execute(w, struct{ Title, Message string }{title, msg})
}

var deviceTmpl = template.Must(template.New("device").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in a terminal · Dataproc IIS</title>
<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em}input{font-size:1.4em;letter-spacing:.1em}</style></head>
<body><h1>Log in a terminal</h1>
{{if .Error}}<p><strong>{{.Error}}</strong></p>{{end}}
<p>Enter the code that <code>iis login</code> printed. Only continue if you started that login yourself,
on a terminal you use: whoever started it receives your session.</p>
<form method="post" action="{{.Action}}">
<input name="user_code" value="{{.Code}}" autocomplete="off" autofocus placeholder="XXXX-XXXX" size="10">
<input type="submit" value="Continue">
</form></body></html>
`))
