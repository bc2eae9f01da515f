package policy

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Error is one problem in a policy file, located by file and line.
type Error struct {
	File string
	Line int // 1-based; 0 when the problem has no single location
	Msg  string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
}

// maxErrors caps how many problems one Parse reports.
const maxErrors = 20

// errorList collects the problems of one parse.
type errorList struct {
	file string
	errs []error
}

func (l *errorList) at(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	l.atLine(line, format, args...)
}

func (l *errorList) atLine(line int, format string, args ...any) {
	if len(l.errs) < maxErrors {
		l.errs = append(l.errs, &Error{File: l.file, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
}

func (l *errorList) err() error { return errors.Join(l.errs...) }

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a yaml.v3 syntax error into a located Error.
func (l *errorList) yamlError(err error) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, m := range te.Errors {
			l.yamlError(errors.New(m))
		}
		return
	}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		l.atLine(line, "syntax error: %s", m[2])
		return
	}
	l.atLine(0, "syntax error: %v", err)
}
