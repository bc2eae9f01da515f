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
	"github.com/dataproc-iis/iis/broker/store/storeopen"
	"github.com/dataproc-iis/iis/events"
)

func init() {
	register("audit", "verify the audit trail's hash chain (`audit verify`, from the store or a capture)", runAudit)
}

const auditUsage = "usage: iis audit verify [-store URL | -data-dir DIR | -file CAPTURE] [-json]"

// maxCaptureLine bounds one line of an `iis tail -json` capture: 256 KiB of
// data as base64 or escaped JSON, plus attributes.
const maxCaptureLine = 4 << 20

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New(auditUsage)
	}
	var dataDir, st, file string
	var asJSON bool
	var from, page, maxProblems int
	f := newFlags("audit verify", stderr)
	f.String(&dataDir, "data-dir", "IIS_DATA_DIR", ".iis", "directory for local state (the SQLite store)")
	f.String(&st, "store", "IIS_STORE", "", "store URL (default: SQLite in -data-dir)")
	f.StringVar(&file, "file", "", "verify a capture made with `iis tail -json > FILE` instead of the store")
	f.IntVar(&from, "from", 0, "with -file: the seq the capture must start at (1: the whole chain); 0: anywhere")
	f.IntVar(&page, "page", 1000, "records read from the store per query")
	f.IntVar(&maxProblems, "max-problems", 0, "list at most this many problems (0: all)")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	if err := f.Parse(args[1:]); err != nil {
		return err
	}
	if f.NArg() != 0 {
		return errors.New(auditUsage)
	}
	var (
		rep  audit.Report
		unit string
		err  error
	)
	if file != "" {
		unit = "line"
		rep, err = verifyCapture(ctx, file, audit.VerifyOptions{From: int64(from), MaxProblems: maxProblems, PositionName: unit})
	} else {
		if st == "" {
			st = filepath.Join(dataDir, "iis.db")
		}
		unit = "row"
		fmt.Fprintf(stderr, "verifying the audit trail in %s\n", storeopen.Redact(st))
		rep, err = verifyStore(ctx, st, audit.StoreOptions{PageSize: page, MaxProblems: maxProblems})
	}
	if err != nil {
		return err
	}
	if asJSON {
		if rep.Problems == nil {
			rep.Problems = []audit.Problem{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		for _, p := range rep.Problems {
			fmt.Fprintln(stdout, p.Format(unit))
		}
		for _, n := range rep.Notes {
			fmt.Fprintln(stdout, "note: "+n)
		}
		fmt.Fprintln(stdout, rep.Summary())
	}
	if !rep.OK() {
		n := len(rep.Problems) + rep.Omitted
		return fmt.Errorf("the audit trail has %d problem(s)", n)
	}
	return nil
}

func verifyStore(ctx context.Context, url string, o audit.StoreOptions) (audit.Report, error) {
	s, err := storeopen.Open(ctx, url)
	if err != nil {
		return audit.Report{}, err
	}
	defer s.Close()
	return audit.VerifyStore(ctx, s, o)
}

// verifyCapture reads one tailRecord per line. A line that does not parse
// is a malformed record, not an error: the capture is the evidence.
func verifyCapture(ctx context.Context, path string, o audit.VerifyOptions) (audit.Report, error) {
	fh, err := os.Open(path)
	if err != nil {
		return audit.Report{}, err
	}
	defer fh.Close()
	v := audit.NewVerifier(o)
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 64<<10), maxCaptureLine)
	for line := 1; sc.Scan(); line++ {
		if line%1024 == 0 && ctx.Err() != nil {
			return audit.Report{}, ctx.Err()
		}
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		v.Add(captureRecord(line, b))
	}
	if err := sc.Err(); err != nil {
		return audit.Report{}, fmt.Errorf("read %s: %w", path, err)
	}
	return v.Finish(), nil
}

// captureRecord turns a line of `iis tail -json` back into the message as
// published: the attributes, and the data (JSON kept byte for byte, or
// raw_data).
func captureRecord(line int, b []byte) audit.Record {
	var r tailRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return audit.Record{Position: line, Err: fmt.Errorf("not an `iis tail -json` line: %w", err)}
	}
	data := []byte(r.Data)
	if len(data) == 0 {
		data = r.RawData
	}
	return audit.Record{Position: line, Message: events.Message{Data: data, Attributes: r.Attributes}}
}
