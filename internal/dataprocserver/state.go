package dataprocserver

import (
	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
)

// jobRec is a job as submitted plus its life.
type jobRec struct {
	job       *dataprocpb.Job // as submitted, reference filled in; never handed out
	project   string
	region    string
	runsAs    string
	requestID string
	operation string // set when submitted as an operation
	run       run
}

// batchRec is a batch as submitted plus its life.
type batchRec struct {
	batch     *dataprocpb.Batch // as submitted, output fields set at creation
	project   string
	region    string
	runsAs    string
	requestID string
	run       run
}

// opRec ties an operation to the workload or cluster it tracks.
type opRec struct {
	project, region string
	job             string      // job key, or
	batch           string      // batch name, or
	cluster         *clusterRec // a cluster's creation, or its deletion
	deletion        bool
}

// state is everything the server holds, guarded by Server.mu.
type state struct {
	jobs        map[string]*jobRec     // by jobKey
	jobReqs     map[string]string      // project/region/request_id -> job key
	batches     map[string]*batchRec   // by resource name
	batchReqs   map[string]string      // parent/request_id -> batch name
	ops         map[string]opRec       // by operation name
	createdFor  map[string]int         // request_id -> workloads and clusters created
	clusters    map[string]*clusterRec // by resource name (a gone one stays until its name is reused)
	clusterReqs map[string]*clusterRec // project/region/request_id -> cluster created
	counts      Counts
}

func newState() state {
	return state{
		jobs:        make(map[string]*jobRec),
		jobReqs:     make(map[string]string),
		batches:     make(map[string]*batchRec),
		batchReqs:   make(map[string]string),
		ops:         make(map[string]opRec),
		createdFor:  make(map[string]int),
		clusters:    make(map[string]*clusterRec),
		clusterReqs: make(map[string]*clusterRec),
	}
}

func jobKey(project, region, id string) string { return project + "/" + region + "/" + id }
