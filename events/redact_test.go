package events

import "testing"

func TestFactsRedactSecretProperties(t *testing.T) {
	r := sampleJobRequest()
	r.Job.Properties = map[string]string{
		"spark.hadoop.fs.s3a.secret.key":                                 "s3-secret",
		"spark.hadoop.fs.s3a.access.key":                                 "s3-access",
		"spark.datasource.jdbc.password":                                 "hunter2",
		"spark.executor.instances":                                       "4",
		"spark.hadoop.google.cloud.auth.keyfile.path":                    "/etc/key.json",
		"spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net":    "azure-key",
		"spark.hadoop.fs.azure.sas.container.acct.blob.core.windows.net": "sas",
	}
	got := r.Facts().Job.Properties
	for k, want := range map[string]string{
		"spark.hadoop.fs.s3a.secret.key":                                 Redacted,
		"spark.hadoop.fs.s3a.access.key":                                 Redacted,
		"spark.datasource.jdbc.password":                                 Redacted,
		"spark.executor.instances":                                       "4",
		"spark.hadoop.google.cloud.auth.keyfile.path":                    Redacted,
		"spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net":    Redacted,
		"spark.hadoop.fs.azure.sas.container.acct.blob.core.windows.net": Redacted,
	} {
		if got[k] != want {
			t.Errorf("Facts().Job.Properties[%q] = %q, want %q", k, got[k], want)
		}
	}
	if r.Job.Properties["spark.datasource.jdbc.password"] != "hunter2" {
		t.Error("Facts modified the request's own properties")
	}
}
