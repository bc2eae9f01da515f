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
	"github.com/dataproc-iis/iis/broker/checkpoint"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/broker/store/storeopen"
	"github.com/dataproc-iis/iis/events"
)

func init() {
	register("audit", "verify the audit trail's hash chain (`audit verify`) or export it (`audit export -format ocsf`)", runAudit)
}

const auditUsage = "usage: iis audit verify [-store URL | -data-dir DIR | -file CAPTURE] [-checkpoint-archive DIR|gs://… -checkpoint-key KEY] [-json]"

// maxCaptureLine bounds one line of an `iis tail -json` capture: 256 KiB of
// data as base64 or escaped JSON, plus attributes.
const maxCaptureLine = 4 << 20

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "export" {
		return runExport(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "verify" {
		return errors.New(auditUsage + "\n" + exportUsage)
	}
	var dataDir, st, file string
	var asJSON bool
	var from, page, maxProblems, depth int
	var cps checkpointSettings
	f := newFlags("audit verify", stderr)
	cps.register(f, false)
	f.IntVar(&depth, "checkpoint-depth", checkpoint.DefaultDepth, "how many of the newest checkpoints to check the chain against")
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
	cv, err := cps.verifier(ctx, dataDir)
	if err != nil {
		return err
	}
	if cv != nil {
		defer cv.Close()
		fmt.Fprintf(stderr, "checking against the checkpoints in %s\n", cv.archive)
	}
	if file != "" {
		unit = "line"
		rep, err = verifyCapture(ctx, file, cv, audit.VerifyOptions{From: int64(from), MaxProblems: maxProblems, PositionName: unit})
	} else {
		if st == "" {
			st = filepath.Join(dataDir, "iis.db")
		}
		unit = "row"
		fmt.Fprintf(stderr, "verifying the audit trail in %s\n", storeopen.Redact(st))
		rep, err = verifyStore(ctx, st, cv, depth, audit.StoreOptions{PageSize: page, MaxProblems: maxProblems})
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

// verifyStore verifies the store's chain, against the newest checkpoints
// of its chain when cv is set. The checkpoints are read before the chain.
func verifyStore(ctx context.Context, url string, cv *checkpointVerifier, depth int, o audit.StoreOptions) (audit.Report, error) {
	s, err := storeopen.Open(ctx, url)
	if err != nil {
		return audit.Report{}, err
	}
	defer s.Close()
	var loaded checkpoint.Loaded
	if cv != nil {
		var chainID string
		if err := s.View(ctx, func(ctx context.Context, tx store.Tx) (err error) {
			chainID, err = tx.ChainID(ctx)
			return err
		}); err != nil {
			return audit.Report{}, err
		}
		if loaded, err = checkpoint.Load(ctx, cv.archive, cv.key, chainID, depth); err != nil {
			return audit.Report{}, err
		}
		o.Anchors = loaded.Anchors
	}
	rep, err := audit.VerifyStore(ctx, s, o)
	if err != nil {
		return rep, err
	}
	rep.Problems = append(rep.Problems, loaded.Problems...)
	if cv != nil && loaded.Read == 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("no checkpoint of this chain in %s yet: nothing outside the database vouches for it", cv.archive))
	}
	return rep, nil
}

// verifyCapture reads one tailRecord per line. A line that does not parse
// is a malformed record, not an error: the capture is the evidence. The
// checkpoint events in it are read first (they are not chained): with a key,
// each that verifies becomes an anchor of the chain.
func verifyCapture(ctx context.Context, path string, cv *checkpointVerifier, o audit.VerifyOptions) (audit.Report, error) {
	var extra []audit.Problem
	var notes []string
	unverified := 0
	err := scanCapture(ctx, path, func(line int, r audit.Record) {
		c, ok := captureCheckpoint(r)
		if !ok {
			return
		}
		if cv == nil {
			unverified++
			return
		}
		a, p := checkpoint.Check(ctx, cv.key, c.ChainID, checkpoint.FromEvent(fmt.Sprintf("line %d", line), c))
		if p != nil {
			extra = append(extra, *p)
			return
		}
		o.Anchors = append(o.Anchors, a)
	})
	if err != nil {
		return audit.Report{}, err
	}
	if unverified > 0 {
		notes = append(notes, fmt.Sprintf("%d checkpoint %s in the capture not checked: no -checkpoint-key", unverified, plural(unverified, "event", "events")))
	}
	v := audit.NewVerifier(o)
	err = scanCapture(ctx, path, func(_ int, r audit.Record) {
		if _, ok := captureCheckpoint(r); !ok {
			v.Add(r)
		}
	})
	if err != nil {
		return audit.Report{}, err
	}
	rep := v.Finish()
	rep.Problems = append(rep.Problems, extra...)
	rep.Notes = append(rep.Notes, notes...)
	return rep, nil
}

// captureCheckpoint decodes a checkpoint event of a capture.
func captureCheckpoint(r audit.Record) (events.Checkpoint, bool) {
	if r.Err != nil || r.Message.Attributes["ce-type"] != events.AuditCheckpointed {
		return events.Checkpoint{}, false
	}
	e, err := events.Decode(r.Message)
	if err != nil {
		return events.Checkpoint{}, false
	}
	c, err := events.DecodeCheckpoint(e)
	return c, err == nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// scanCapture calls fn with each non-empty line of a capture as a Record.
func scanCapture(ctx context.Context, path string, fn func(line int, r audit.Record)) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 64<<10), maxCaptureLine)
	for line := 1; sc.Scan(); line++ {
		if line%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		fn(line, captureRecord(line, b))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
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
