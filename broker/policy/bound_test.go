package policy

import (
	"testing"
	"time"
)

func TestBound(t *testing.T) {
	p, err := Load("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2030, 1, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		id     string
		groups []string
		role   string
		want   bool
	}{
		{"erin@example.com", []string{"data-eng"}, "etl", true},
		{"erin@example.com", []string{"analysts"}, "etl", false},                // a mover who left data-eng
		{"erin@example.com", []string{"data-eng", "contractors"}, "etl", false}, // deny rule
		{"alice@example.com", nil, "oncall", true},                              // bound by user
		{"alice@example.com", nil, "etl", false},
	}
	for _, tt := range tests {
		if got := p.Bound(tt.id, tt.groups, tt.role, at); got != tt.want {
			t.Errorf("Bound(%s, %v, %s) = %v, want %v", tt.id, tt.groups, tt.role, got, tt.want)
		}
	}
}

func TestPropertiesAllowlist(t *testing.T) {
	refused := []string{
		"spark.sql.hive.metastore.jars", "spark.driver.extraJavaOptions", "spark.executor.extraClassPath",
		"spark.executorEnv.GOOGLE_APPLICATION_CREDENTIALS", "spark.dataproc.driverEnv.JAVA_TOOL_OPTIONS",
		"spark.hadoop.fs.gs.auth.impersonation.service.account", "spark.hadoop.google.cloud.auth.service.account.json.keyfile",
		"spark.sql.warehouse.dir", "spark.eventLog.dir", "spark.pyspark.python", "spark.jars.packages", " Spark.Driver.ExtraJavaOptions",
	}
	for _, k := range refused {
		if got := fetchPropertyKeys(map[string]string{k: "x"}); got == "" {
			t.Errorf("property %q allowed, want refused", k)
		}
	}
	allowed := []string{"spark.executor.memory", "spark.dynamicAllocation.maxExecutors", "spark.sql.adaptive.enabled", "spark.jars", "spark.submit.pyFiles"}
	for _, k := range allowed {
		if got := fetchPropertyKeys(map[string]string{k: "x"}); got != "" {
			t.Errorf("property %q refused, want allowed", k)
		}
	}
}
