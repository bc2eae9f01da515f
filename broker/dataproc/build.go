package dataproc

import (
	"maps"
	"slices"

	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// labels returns the labels of the request's workload: the requester's and
// the broker's (which win).
func (s *Submitter) labels(req Request) map[string]string {
	l := maps.Clone(req.Labels)
	if l == nil {
		l = make(map[string]string, len(reservedLabels))
	}
	reqID := req.RequestID
	if reqID == "" {
		reqID = req.Key
	}
	l[LabelRequest] = RequestLabel(reqID)
	l[LabelPrincipal] = PrincipalLabel(s.labelKey, req.Principal)
	l[LabelRole] = RoleLabel(req.Role)
	return l
}

// buildBatch returns the Serverless batch for a validated request, running as sa.
func buildBatch(req Request, sa string, labels map[string]string) *dataprocpb.Batch {
	j := req.Job
	b := &dataprocpb.Batch{
		Labels: labels,
		EnvironmentConfig: &dataprocpb.EnvironmentConfig{
			ExecutionConfig: &dataprocpb.ExecutionConfig{ServiceAccount: sa},
		},
	}
	if len(j.Properties) > 0 {
		b.RuntimeConfig = &dataprocpb.RuntimeConfig{Properties: maps.Clone(j.Properties)}
	}
	if req.MaxDuration > 0 {
		b.EnvironmentConfig.ExecutionConfig.Ttl = durationpb.New(min(max(req.MaxDuration, minTTL), maxTTL))
	}
	switch j.Type {
	case TypeSpark:
		sb := &dataprocpb.SparkBatch{Args: slices.Clone(j.Args), JarFileUris: slices.Clone(j.JarURIs), FileUris: slices.Clone(j.FileURIs)}
		if j.MainClass != "" {
			sb.Driver = &dataprocpb.SparkBatch_MainClass{MainClass: j.MainClass}
		} else {
			sb.Driver = &dataprocpb.SparkBatch_MainJarFileUri{MainJarFileUri: j.MainJarURI}
		}
		b.BatchConfig = &dataprocpb.Batch_SparkBatch{SparkBatch: sb}
	case TypePySpark:
		b.BatchConfig = &dataprocpb.Batch_PysparkBatch{PysparkBatch: &dataprocpb.PySparkBatch{
			MainPythonFileUri: j.MainPythonURI, Args: slices.Clone(j.Args), PythonFileUris: slices.Clone(j.PythonURIs),
			JarFileUris: slices.Clone(j.JarURIs), FileUris: slices.Clone(j.FileURIs),
		}}
	case TypeSparkSQL:
		vars, _ := sqlVariables(j.Args) // validated
		b.BatchConfig = &dataprocpb.Batch_SparkSqlBatch{SparkSqlBatch: &dataprocpb.SparkSqlBatch{
			QueryFileUri: j.QueryURI, QueryVariables: vars, JarFileUris: slices.Clone(j.JarURIs),
		}}
	}
	return b
}

// buildJob returns the cluster job for a validated request.
func buildJob(req Request, id string, labels map[string]string) *dataprocpb.Job {
	j := req.Job
	job := &dataprocpb.Job{
		Reference: &dataprocpb.JobReference{ProjectId: req.Target.Project, JobId: id},
		Placement: &dataprocpb.JobPlacement{ClusterName: req.Target.Cluster},
		Labels:    labels,
	}
	props := maps.Clone(j.Properties)
	switch j.Type {
	case TypeSpark:
		sj := &dataprocpb.SparkJob{Args: slices.Clone(j.Args), JarFileUris: slices.Clone(j.JarURIs),
			FileUris: slices.Clone(j.FileURIs), Properties: props}
		if j.MainClass != "" {
			sj.Driver = &dataprocpb.SparkJob_MainClass{MainClass: j.MainClass}
		} else {
			sj.Driver = &dataprocpb.SparkJob_MainJarFileUri{MainJarFileUri: j.MainJarURI}
		}
		job.TypeJob = &dataprocpb.Job_SparkJob{SparkJob: sj}
	case TypePySpark:
		job.TypeJob = &dataprocpb.Job_PysparkJob{PysparkJob: &dataprocpb.PySparkJob{
			MainPythonFileUri: j.MainPythonURI, Args: slices.Clone(j.Args), PythonFileUris: slices.Clone(j.PythonURIs),
			JarFileUris: slices.Clone(j.JarURIs), FileUris: slices.Clone(j.FileURIs), Properties: props,
		}}
	case TypeSparkSQL:
		vars, _ := sqlVariables(j.Args) // validated
		job.TypeJob = &dataprocpb.Job_SparkSqlJob{SparkSqlJob: &dataprocpb.SparkSqlJob{
			Queries:         &dataprocpb.SparkSqlJob_QueryFileUri{QueryFileUri: j.QueryURI},
			ScriptVariables: vars, Properties: props, JarFileUris: slices.Clone(j.JarURIs),
		}}
	}
	return job
}
