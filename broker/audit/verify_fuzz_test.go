package audit_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/dataproc-iis/iis/broker/audit"
)

// FuzzVerify mutates a valid chain by a program of edits (drop, duplicate,
// swap, flip a bit, set or delete an attribute, add an arbitrary record, an
// unreadable one, a wrong stored hash) and checks that Verify never panics,
// that a trail holding exactly the original records in any order and any
// number of copies is OK, and that with the head and From 1 any other trail
// is not.
func FuzzVerify(f *testing.F) {
	base := memChain(f, 6)
	head := audit.Head{Seq: 6, Hash: audit.Hash(base[5])}
	original := map[string]bool{}
	for _, m := range base {
		original[audit.Hash(m)] = true
	}
	f.Add([]byte{}, "", "")
	f.Add([]byte{6, 1, 2, 0, 2, 4, 5}, "3", audit.Genesis)
	f.Add([]byte{7, 3, 2, 77, 4, 1, 3}, "07", audit.Hash(base[1]))
	f.Add([]byte{5, 6, 0, 9, 0, 3, 0, 8, 0, 0}, "4", head.Hash)
	f.Add([]byte{1, 2, 0, 5, 2, 5, 1, 10, 2, 3}, "", "")
	f.Fuzz(func(t *testing.T, prog []byte, seq, prev string) {
		recs := make([]audit.Record, len(base))
		for i, m := range base {
			recs[i].Message = clone(m)
		}
		var flags byte
		if len(prog) > 0 {
			flags, prog = prog[0], prog[1:]
		}
		for ; len(prog) >= 3 && len(recs) > 0; prog = prog[3:] {
			a, b := int(prog[1])%len(recs), int(prog[2])
			m := &recs[a].Message
			if m.Attributes == nil {
				m.Attributes = map[string]string{}
			}
			switch prog[0] % 11 {
			case 0:
				recs = slices.Delete(recs, a, a+1)
			case 1:
				recs = append(recs, audit.Record{Message: clone(*m), StoredHash: recs[a].StoredHash})
			case 2:
				recs[a], recs[b%len(recs)] = recs[b%len(recs)], recs[a]
			case 3:
				if len(m.Data) > 0 {
					m.Data[b%len(m.Data)] ^= 1 << (b % 8)
				}
			case 4, 5:
				keys := slices.Sorted(func(yield func(string) bool) {
					for k := range m.Attributes {
						if !yield(k) {
							return
						}
					}
				})
				if len(keys) == 0 {
					continue
				}
				if k := keys[b%len(keys)]; prog[0]%11 == 4 {
					m.Attributes[k] = seq
				} else {
					delete(m.Attributes, k)
				}
			case 6:
				c := clone(*m)
				c.Attributes["ce-id"] = "forged-" + strconv.Itoa(b)
				c.Attributes[attrSeq], c.Attributes[attrPrev] = seq, prev
				recs = append(recs, audit.Record{Message: c})
			case 7:
				m.Attributes[attrPrev] = prev
			case 8:
				recs = append(recs, audit.Record{Err: errors.New("unreadable")})
			case 9:
				recs[a].StoredHash = prev
			case 10:
				m.Attributes[attrSeq] = strconv.Itoa(b % 10)
			}
		}
		tampered := false
		current := map[string]bool{}
		for i := range recs {
			recs[i].Position = i
			if recs[i].Err != nil {
				tampered = true
				continue
			}
			h := audit.Hash(recs[i].Message)
			current[h] = true
			tampered = tampered || !original[h] || (recs[i].StoredHash != "" && recs[i].StoredHash != h)
		}
		tampered = tampered || len(current) != len(original)
		opts := audit.VerifyOptions{Ordered: flags&1 != 0, Window: int(flags>>5) + 1, MaxProblems: int(flags>>4) % 3}
		if flags&2 != 0 {
			opts.Head = &head
		}
		if flags&4 != 0 {
			opts.From = 1
		}

		rep := audit.Verify(recs, opts)

		if rep.Records != len(recs) || rep.OK() != (len(rep.Problems) == 0 && rep.Omitted == 0) {
			t.Fatalf("Verify() = %d records, OK %v; input has %d\n%s", rep.Records, rep.OK(), len(recs), dump(rep))
		}
		for _, p := range rep.Problems {
			switch p.Kind {
			case audit.Changed, audit.Removed, audit.Inserted, audit.Reordered, audit.Malformed:
			default:
				t.Fatalf("Verify() problem of unknown kind: %+v", p)
			}
		}
		if !slices.IsSortedFunc(rep.Problems, func(a, b audit.Problem) int { return int(a.Seq - b.Seq) }) {
			t.Errorf("Verify() problems are not sorted by seq:\n%s", dump(rep))
		}
		if !tampered && !opts.Ordered && !rep.OK() {
			t.Errorf("Verify(the original records, reordered or repeated) = not OK:\n%s", dump(rep))
		}
		if tampered && opts.Head != nil && opts.From == 1 && rep.OK() {
			t.Errorf("Verify(tampered trail, with head, from 1) = OK")
		}
	})
}

// BenchmarkVerify verifies 10,000 records: a capture (shuffled, read whole)
// and the store's order (a window at a time).
func BenchmarkVerify(b *testing.B) {
	const n = 10000
	msgs := memChain(b, n)
	head := &audit.Head{Seq: n, Hash: audit.Hash(msgs[n-1])}
	for _, bc := range []struct {
		name string
		opts audit.VerifyOptions
	}{
		{"capture", audit.VerifyOptions{From: 1}},
		{"store", audit.VerifyOptions{From: 1, Head: head, Ordered: true}},
	} {
		in := make([]audit.Record, n)
		for i, m := range msgs {
			in[i] = audit.Record{Position: i + 1, Message: m}
		}
		if !bc.opts.Ordered {
			rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) { in[i], in[j] = in[j], in[i] })
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if rep := audit.Verify(in, bc.opts); !rep.OK() {
					b.Fatalf("Verify() = %s", rep.Summary())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
		})
	}
}
