package watch

import (
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
)

// Submission is the Dataproc handle of a stored job.
func Submission(j store.Job) dataproc.Submission {
	return dataproc.Submission{
		Kind: j.Kind, Project: j.Project, Region: j.Region, Resource: j.Resource,
		DataprocID: j.DataprocID, DataprocRequestID: j.DataprocRequestID,
	}
}

// WithSubmission returns j with the Dataproc handle sub (and the cluster it
// ran on, "" for a batch) filled in: the inverse of Submission.
func WithSubmission(j store.Job, sub dataproc.Submission, cluster string) store.Job {
	j.Kind, j.Project, j.Region, j.Cluster = sub.Kind, sub.Project, sub.Region, cluster
	j.DataprocID, j.DataprocRequestID, j.Resource = sub.DataprocID, sub.DataprocRequestID, sub.Resource
	return j
}

// Submitted is the job.submitted audit event of a stored job.
func Submitted(source string, j store.Job, opts ...events.Option) (event.Event, error) {
	return events.NewJobSubmitted(source, events.JobSubmission{
		RequestID: j.RequestID, Kind: j.Kind, Project: j.Project, Region: j.Region, Cluster: j.Cluster,
		Resource: j.Resource, DataprocRequestID: j.DataprocRequestID, ServiceAccount: j.ServiceAccount,
	}, opts...)
}
