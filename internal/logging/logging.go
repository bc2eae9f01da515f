package logging

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Format selects how log lines are written.
type Format string

const (
	// Auto writes console lines to a terminal and JSON elsewhere.
	Auto Format = "auto"
	// JSON writes one Cloud Logging compatible JSON object per line.
	JSON Format = "json"
	// Console writes human-readable coloured lines.
	Console Format = "console"
)

// severities maps zerolog levels to Cloud Logging's LogSeverity names.
var severities = map[zerolog.Level]string{
	zerolog.TraceLevel: "DEBUG",
	zerolog.DebugLevel: "DEBUG",
	zerolog.InfoLevel:  "INFO",
	zerolog.WarnLevel:  "WARNING",
	zerolog.ErrorLevel: "ERROR",
	zerolog.FatalLevel: "CRITICAL",
	zerolog.PanicLevel: "ALERT",
}

var levels = map[string]zerolog.Level{
	"trace": zerolog.TraceLevel, "debug": zerolog.DebugLevel, "info": zerolog.InfoLevel,
	"warn": zerolog.WarnLevel, "warning": zerolog.WarnLevel, "error": zerolog.ErrorLevel,
}

func init() {
	// Cloud Logging reads these names from structured JSON payloads.
	zerolog.LevelFieldName = "severity"
	zerolog.MessageFieldName = "message"
	zerolog.TimestampFieldName = "time"
	zerolog.TimeFieldFormat = time.RFC3339Nano
	zerolog.LevelFieldMarshalFunc = func(l zerolog.Level) string {
		if s, ok := severities[l]; ok {
			return s
		}
		return "DEFAULT"
	}
}

// New returns a logger writing to w at the given level ("debug", "info",
// "warn", "error") in the given format.
func New(w io.Writer, level string, format Format) (zerolog.Logger, error) {
	// Not zerolog.ParseLevel: it compares against LevelFieldMarshalFunc,
	// which we override with Cloud Logging's names.
	lvl, ok := levels[strings.ToLower(level)]
	if !ok {
		return zerolog.Nop(), fmt.Errorf("logging: unknown level %q (want debug, info, warn or error)", level)
	}
	switch format {
	case Auto, "":
		if isTerminal(w) {
			w = console(w)
		}
	case Console:
		w = console(w)
	case JSON:
	default:
		return zerolog.Nop(), fmt.Errorf("logging: unknown format %q (want auto, json or console)", format)
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

func console(w io.Writer) io.Writer {
	return zerolog.ConsoleWriter{
		Out:        w,
		TimeFormat: "15:04:05.000",
		FormatLevel: func(i any) string {
			s, _ := i.(string)
			return fmt.Sprintf("%-7s", s)
		},
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
