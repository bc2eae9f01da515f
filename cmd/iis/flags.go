package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// flags wraps a FlagSet whose defaults come from environment variables, so
// that each setting has one name on the command line and one in the
// environment (shown in -h). An environment value that does not parse is
// an error at Parse, never silently the default: IIS_DECIDE_ONLY=ture must
// not run jobs.
type flags struct {
	*flag.FlagSet
	envErrs *[]error
}

func newFlags(name string, stderr io.Writer) flags {
	fs := flag.NewFlagSet("iis "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return flags{FlagSet: fs, envErrs: new([]error)}
}

// Parse reports the environment values that did not parse, then parses args.
func (f flags) Parse(args []string) error {
	if err := errors.Join(*f.envErrs...); err != nil {
		return err
	}
	return f.FlagSet.Parse(args)
}

// fromEnv parses env's value with parse, if it is set.
func fromEnv[T any](f flags, env, kind string, parse func(string) (T, error), def T) T {
	v, ok := os.LookupEnv(env)
	if !ok || v == "" {
		return def
	}
	x, err := parse(v)
	if err != nil {
		*f.envErrs = append(*f.envErrs, fmt.Errorf("%s=%q is not %s", env, v, kind))
		return def
	}
	return x
}

func (f flags) String(p *string, name, env, def, usage string) {
	def = fromEnv(f, env, "a string", func(s string) (string, error) { return s, nil }, def)
	f.StringVar(p, name, def, fmt.Sprintf("%s (env %s)", usage, env))
}

func (f flags) Int(p *int, name, env string, def int, usage string) {
	def = fromEnv(f, env, "an integer", strconv.Atoi, def)
	f.IntVar(p, name, def, fmt.Sprintf("%s (env %s)", usage, env))
}

func (f flags) Duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	def = fromEnv(f, env, "a duration such as 30s", time.ParseDuration, def)
	f.DurationVar(p, name, def, fmt.Sprintf("%s (env %s)", usage, env))
}

func (f flags) Bool(p *bool, name, env string, def bool, usage string) {
	def = fromEnv(f, env, "a boolean (true or false)", strconv.ParseBool, def)
	f.BoolVar(p, name, def, fmt.Sprintf("%s (env %s)", usage, env))
}

// Usage makes -h print text before the flags.
func (f flags) Usage(text string) {
	f.FlagSet.Usage = func() {
		fmt.Fprint(f.Output(), text+"\nFlags:\n")
		f.PrintDefaults()
	}
}
