package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// flags wraps a FlagSet whose defaults come from environment variables, so
// that each setting has one name on the command line and one in the
// environment (shown in -h).
type flags struct{ *flag.FlagSet }

func newFlags(name string, stderr io.Writer) flags {
	fs := flag.NewFlagSet("iis "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return flags{fs}
}

func (f flags) String(p *string, name, env, def, usage string) {
	if v, ok := os.LookupEnv(env); ok && v != "" {
		def = v
	}
	f.StringVar(p, name, def, fmt.Sprintf("%s (env %s)", usage, env))
}

func (f flags) Int(p *int, name, env string, def int, usage string) {
	if v, err := strconv.Atoi(os.Getenv(env)); err == nil {
		def = v
	}
	f.IntVar(p, name, def, fmt.Sprintf("%s (env %s)", usage, env))
}

func (f flags) Duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	if v, err := time.ParseDuration(os.Getenv(env)); err == nil {
		def = v
	}
	f.DurationVar(p, name, def, fmt.Sprintf("%s (env %s)", usage, env))
}

func (f flags) Bool(p *bool, name, env string, def bool, usage string) {
	if v, err := strconv.ParseBool(os.Getenv(env)); err == nil {
		def = v
	}
	f.BoolVar(p, name, def, fmt.Sprintf("%s (env %s)", usage, env))
}

// Usage makes -h print text before the flags.
func (f flags) Usage(text string) {
	f.FlagSet.Usage = func() {
		fmt.Fprint(f.Output(), text+"\nFlags:\n")
		f.PrintDefaults()
	}
}
