package dataproc

import (
	"testing"

	"github.com/dataproc-iis/iis/broker/fault"
)

func TestSubmitInvalidRequests(t *testing.T) {
	e := newEnv(t, envConfig{})
	cred := e.mint(t, etlSA)
	mutate := func(f func(*Request)) Request {
		r := sparkRequest("bad", batchTarget)
		f(&r)
		return r
	}
	tests := map[string]Request{
		"no key":             mutate(func(r *Request) { r.Key = "" }),
		"bad project":        mutate(func(r *Request) { r.Target.Project = "Bad_Project" }),
		"bad region":         mutate(func(r *Request) { r.Target.Region = "evil.example.com:443/" }),
		"bad cluster":        mutate(func(r *Request) { r.Target.Cluster = "Cluster!" }),
		"unknown type":       mutate(func(r *Request) { r.Job.Type = "hive" }),
		"spark with both":    mutate(func(r *Request) { r.Job.MainJarURI = "gs://b/main.jar" }),
		"spark with neither": mutate(func(r *Request) { r.Job.MainClass = "" }),
		"pyspark no main":    mutate(func(r *Request) { r.Job = JobSpec{Type: TypePySpark} }),
		"sql bad variable": mutate(func(r *Request) {
			r.Job = JobSpec{Type: TypeSparkSQL, QueryURI: "gs://b/q.sql", Args: []string{"novalue"}}
		}),
		"http uri":       mutate(func(r *Request) { r.Job.JarURIs = []string{"https://example.com/x.jar"} }),
		"reserved label": mutate(func(r *Request) { r.Labels = map[string]string{"iis-request": "forged"} }),
		"email label":    mutate(func(r *Request) { r.Labels = map[string]string{"owner": "alice@example.com"} }),
		"bad property":   mutate(func(r *Request) { r.Job.Properties = map[string]string{"a b": "c"} }),
	}
	for name, req := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := e.sub.Submit(e.ctx, cred, req)
			if !fault.IsPermanent(err) || fault.ReasonOf(err) != ReasonInvalidJob {
				t.Errorf("Submit(%s) = %v, want permanent %s", name, err, ReasonInvalidJob)
			}
		})
	}
	if c := e.srv.Counts(); c.CreateBatch != 0 {
		t.Errorf("invalid requests reached the server: %+v", c)
	}
}
