// Command s3ref times the references of bench/delivery.sh: the same
// envelopes written straight into a bucket (no protocol, no collector,
// no verification), and every object under a prefix read straight back.
//
//	s3ref put -s3 URL -bucket B -audit-root DIR [-parallel N]
//	s3ref get -s3 URL -bucket B [-prefix P] [-parallel N]
//
// It prints `objects=N bytes=B wall_s=S` for the timed part only.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nono-audit/nono/lib/delivery"
	"github.com/nono-audit/nono/lib/envelope"
	"github.com/nono-audit/nono/lib/objstore"
	"github.com/nono-audit/nono/lib/session"
)

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: s3ref put|get FLAGS"))
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	s3 := fs.String("s3", "", "S3 endpoint")
	bucket := fs.String("bucket", "", "bucket")
	root := fs.String("audit-root", "", "sessions to envelope (put)")
	prefix := fs.String("prefix", "", "objects to read (get)")
	parallel := fs.Int("parallel", 4, "requests at once")
	fs.Parse(os.Args[2:])
	ctx := context.Background()
	store, err := objstore.Open(ctx, *s3, *bucket)
	if err != nil {
		fail(err)
	}
	var keys []string
	var bodies [][]byte
	switch os.Args[1] {
	case "put":
		entries, err := (&session.Store{AuditRoot: *root}).List(session.AuditSide)
		if err != nil {
			fail(err)
		}
		for _, e := range entries {
			id, _ := delivery.NewUUIDv7(time.Now())
			env, err := envelope.Build(e, *root, envelope.Identity{IngestID: id, TenantID: "ref", ShipperID: "ref"})
			if err != nil {
				fail(err)
			}
			keys = append(keys, "ref/ref/"+e.ID+"/"+id+".json")
			bodies = append(bodies, env.Encode())
		}
	case "get":
		err := store.List(ctx, *prefix, false, func(e objstore.Entry) bool {
			keys = append(keys, e.Key)
			return true
		})
		if err != nil {
			fail(err)
		}
	default:
		fail(fmt.Errorf("unknown command %q", os.Args[1]))
	}
	var n atomic.Int64
	start := time.Now()
	work := make(chan int)
	var wg sync.WaitGroup
	for range *parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				var err error
				if bodies != nil {
					_, err = store.Put(ctx, keys[i], bodies[i], objstore.PutOptions{IfAbsent: true})
					n.Add(int64(len(bodies[i])))
				} else {
					var o *objstore.Object
					o, err = store.Get(ctx, keys[i], "", envelope.MaxSize)
					if err == nil {
						n.Add(int64(len(o.Data)))
					}
				}
				if err != nil {
					fail(err)
				}
			}
		}()
	}
	for i := range keys {
		work <- i
	}
	close(work)
	wg.Wait()
	fmt.Printf("objects=%d bytes=%d wall_s=%.3f\n", len(keys), n.Load(), time.Since(start).Seconds())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "s3ref:", err)
	os.Exit(1)
}
