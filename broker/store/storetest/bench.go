package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dataproc-iis/iis/broker/store"
)

// BenchUpdateMarkProcessedEnqueue measures the transaction every handled
// event runs: mark the event processed, enqueue one audit record of about
// 1 KiB (to be chained later by the sequencer), commit. It reports serial
// throughput and throughput with 4 goroutines per CPU.
func BenchUpdateMarkProcessedEnqueue(b *testing.B, s store.Store) {
	data := make([]byte, 1024)
	for i := range data {
		data[i] = 'a' + byte(i%26)
	}
	var n atomic.Int64
	op := func() error {
		id := fmt.Sprintf("bench-%d", n.Add(1))
		return s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
			first, err := tx.MarkProcessed(ctx, store.EventKey("//bench", id), "", time.Now())
			if err != nil || !first {
				return fmt.Errorf("MarkProcessed = %v, %v", first, err)
			}
			_, err = tx.Enqueue(ctx, store.OutboxMessage{
				Topic: "audit", EventID: id, Data: data, Chain: true,
				Attributes: map[string]string{"ce-id": id, "ce-type": "dev.iis.job.approved.v1"},
			})
			return err
		})
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := op(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := op(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
