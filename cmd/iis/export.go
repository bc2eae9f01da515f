package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dataproc-iis/iis/broker/audit"
	"github.com/dataproc-iis/iis/broker/ocsf"
	"github.com/dataproc-iis/iis/broker/store/storeopen"
	"github.com/dataproc-iis/iis/events"
)

const exportUsage = "usage: iis audit export -format ocsf|cloudevents [-store URL | -data-dir DIR | -file CAPTURE] [-from SEQ] [-o FILE]"

// runExport writes the audit trail as JSON lines, in chain order from the
// store or in capture order from a file: OCSF records for a SIEM, or the
// CloudEvents as `iis tail -json` writes them.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var dataDir, st, file, format, out string
	var from int
	f := newFlags("audit export", stderr)
	f.String(&dataDir, "data-dir", "IIS_DATA_DIR", ".iis", "directory for local state (the SQLite store)")
	f.String(&st, "store", "IIS_STORE", "", "store URL (default: SQLite in -data-dir)")
	f.StringVar(&file, "file", "", "export a capture made with `iis tail -json > FILE` instead of the store")
	f.StringVar(&format, "format", "ocsf", "ocsf (OCSF 1.1 records) or cloudevents (the records as published)")
	f.IntVar(&from, "from", 1, "with the store: the first seq to export")
	f.StringVar(&out, "o", "", "write to this file instead of standard output")
	if err := f.Parse(args); err != nil {
		return err
	}
	if f.NArg() != 0 || (format != "ocsf" && format != "cloudevents") {
		return errors.New(exportUsage)
	}
	w := stdout
	if out != "" {
		fh, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer fh.Close()
		w = fh
	}
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	ex := &exporter{w: bw, ocsf: format == "ocsf", stderr: stderr}
	if file != "" {
		err := scanCapture(ctx, file, func(line int, r audit.Record) {
			ex.write(fmt.Sprintf("line %d", line), r.Message, r.Err)
		})
		if err != nil {
			return err
		}
	} else {
		if st == "" {
			st = filepath.Join(dataDir, "iis.db")
		}
		s, err := storeopen.Open(ctx, st)
		if err != nil {
			return err
		}
		defer s.Close()
		for after := int64(from - 1); ; {
			page, err := s.AuditTrail(ctx, after, 1000)
			if err != nil {
				return err
			}
			for _, m := range page {
				ex.write(fmt.Sprintf("seq %d", m.Seq), events.Message{Data: m.Data, Attributes: m.Attributes}, nil)
				after = m.Seq
			}
			if len(page) < 1000 {
				break
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d records", ex.n)
	if ex.skipped > 0 {
		fmt.Fprintf(stderr, ", skipped %d that are not valid catalog events (iis audit verify says more)", ex.skipped)
	}
	fmt.Fprintln(stderr)
	return nil
}

type exporter struct {
	w          io.Writer
	ocsf       bool
	stderr     io.Writer
	n, skipped int
}

// write writes one record; a record that cannot be mapped is reported and
// skipped, never written half.
func (x *exporter) write(where string, m events.Message, readErr error) {
	if readErr != nil {
		x.skipped++
		fmt.Fprintf(x.stderr, "%s: skipped: %v\n", where, readErr)
		return
	}
	var v any = tailRecord{Attributes: m.Attributes, Data: json.RawMessage(m.Data)}
	if x.ocsf {
		rec, err := ocsf.Map(m)
		if err != nil {
			x.skipped++
			fmt.Fprintf(x.stderr, "%s: skipped: %v\n", where, err)
			return
		}
		v = rec
	} else if !json.Valid(m.Data) {
		v = tailRecord{Attributes: m.Attributes, RawData: m.Data}
	}
	b, err := json.Marshal(v)
	if err != nil {
		x.skipped++
		fmt.Fprintf(x.stderr, "%s: skipped: %v\n", where, err)
		return
	}
	x.n++
	fmt.Fprintln(x.w, string(b))
}
