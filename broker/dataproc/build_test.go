package dataproc

import (
	"testing"
	"time"

	"cloud.google.com/go/dataproc/v2/apiv1/dataprocpb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
)

func TestBuildBatch(t *testing.T) {
	labels := map[string]string{LabelRequest: "r"}
	exec := func(ttl time.Duration) *dataprocpb.EnvironmentConfig {
		ec := &dataprocpb.ExecutionConfig{ServiceAccount: etlSA}
		if ttl > 0 {
			ec.Ttl = durationpb.New(ttl)
		}
		return &dataprocpb.EnvironmentConfig{ExecutionConfig: ec}
	}
	tests := []struct {
		name string
		req  Request
		want *dataprocpb.Batch
	}{
		{"spark main jar, properties, ttl",
			Request{Job: JobSpec{Type: TypeSpark, MainJarURI: "gs://b/m.jar", Args: []string{"a"}, FileURIs: []string{"gs://b/f"},
				Properties: map[string]string{"spark.x": "1"}}, MaxDuration: 2 * time.Hour},
			&dataprocpb.Batch{Labels: labels, EnvironmentConfig: exec(2 * time.Hour),
				RuntimeConfig: &dataprocpb.RuntimeConfig{Properties: map[string]string{"spark.x": "1"}},
				BatchConfig: &dataprocpb.Batch_SparkBatch{SparkBatch: &dataprocpb.SparkBatch{
					Driver: &dataprocpb.SparkBatch_MainJarFileUri{MainJarFileUri: "gs://b/m.jar"},
					Args:   []string{"a"}, FileUris: []string{"gs://b/f"}}}}},
		{"pyspark, short ttl raised to the minimum",
			Request{Job: JobSpec{Type: TypePySpark, MainPythonURI: "gs://b/m.py", PythonURIs: []string{"gs://b/lib.zip"},
				JarURIs: []string{"gs://b/x.jar"}}, MaxDuration: time.Minute},
			&dataprocpb.Batch{Labels: labels, EnvironmentConfig: exec(10 * time.Minute),
				BatchConfig: &dataprocpb.Batch_PysparkBatch{PysparkBatch: &dataprocpb.PySparkBatch{
					MainPythonFileUri: "gs://b/m.py", PythonFileUris: []string{"gs://b/lib.zip"}, JarFileUris: []string{"gs://b/x.jar"}}}}},
		{"spark sql with variables",
			Request{Job: JobSpec{Type: TypeSparkSQL, QueryURI: "gs://b/q.sql", Args: []string{"day=2026-01-01", "empty="}}},
			&dataprocpb.Batch{Labels: labels, EnvironmentConfig: exec(0),
				BatchConfig: &dataprocpb.Batch_SparkSqlBatch{SparkSqlBatch: &dataprocpb.SparkSqlBatch{
					QueryFileUri: "gs://b/q.sql", QueryVariables: map[string]string{"day": "2026-01-01", "empty": ""}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.req.Job.validate(); err != nil {
				t.Fatalf("validate() = %v", err)
			}
			got := buildBatch(tt.req, etlSA, labels)
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("buildBatch() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildJob(t *testing.T) {
	labels := map[string]string{LabelRequest: "r"}
	target := Target{Project: project, Region: region, Cluster: cluster}
	head := func(j *dataprocpb.Job) *dataprocpb.Job {
		j.Reference = &dataprocpb.JobReference{ProjectId: project, JobId: "iis-x"}
		j.Placement = &dataprocpb.JobPlacement{ClusterName: cluster}
		j.Labels = labels
		return j
	}
	tests := []struct {
		name string
		spec JobSpec
		want *dataprocpb.Job
	}{
		{"spark main class", JobSpec{Type: TypeSpark, MainClass: "a.B", JarURIs: []string{"gs://b/x.jar"}, Properties: map[string]string{"p": "v"}},
			head(&dataprocpb.Job{TypeJob: &dataprocpb.Job_SparkJob{SparkJob: &dataprocpb.SparkJob{
				Driver: &dataprocpb.SparkJob_MainClass{MainClass: "a.B"}, JarFileUris: []string{"gs://b/x.jar"}, Properties: map[string]string{"p": "v"}}}})},
		{"pyspark", JobSpec{Type: TypePySpark, MainPythonURI: "gs://b/m.py", Args: []string{"x"}, FileURIs: []string{"file:///etc/f"}},
			head(&dataprocpb.Job{TypeJob: &dataprocpb.Job_PysparkJob{PysparkJob: &dataprocpb.PySparkJob{
				MainPythonFileUri: "gs://b/m.py", Args: []string{"x"}, FileUris: []string{"file:///etc/f"}}}})},
		{"spark sql", JobSpec{Type: TypeSparkSQL, QueryURI: "gs://b/q.sql", Args: []string{"k=v"}, JarURIs: []string{"gs://b/udf.jar"}},
			head(&dataprocpb.Job{TypeJob: &dataprocpb.Job_SparkSqlJob{SparkSqlJob: &dataprocpb.SparkSqlJob{
				Queries:         &dataprocpb.SparkSqlJob_QueryFileUri{QueryFileUri: "gs://b/q.sql"},
				ScriptVariables: map[string]string{"k": "v"}, JarFileUris: []string{"gs://b/udf.jar"}}}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.spec.validate(); err != nil {
				t.Fatalf("validate() = %v", err)
			}
			got := buildJob(Request{Target: target, Job: tt.spec}, "iis-x", labels)
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("buildJob() (-want +got):\n%s", diff)
			}
		})
	}
}
