package policy

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// okRole is a valid role body to build error cases on.
const okRole = `
    service_account: r@p.iam.gserviceaccount.com
    targets: [{project: p, region: r, serverless: true}]
    job_types: [spark]
    data_locations: [gs://bkt/a]`

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // each "p.yaml:line: text" prefix, in order
	}{
		{"syntax error", "roles:\n  r: [a\n", []string{"p.yaml:1: syntax error: did not find expected ',' or ']'"}}, // yaml.v3 reports the flow's context line
		{"tab indentation", "roles:\n\tr: {}\n", []string{"p.yaml:2: syntax error"}},
		{"empty", "", []string{"p.yaml: empty policy"}},
		{"comment only", "# nothing\n", []string{"p.yaml: empty policy"}},
		{"not a mapping", "- a\n", []string{"p.yaml:1: policy: expected a mapping"}},
		{"two documents", "roles: {}\n---\nroles: {}\n", []string{"p.yaml:2: more than one YAML document"}},
		{"unknown top-level field", "rolez: {}\n", []string{`p.yaml:1: policy: unknown field "rolez"`}},
		{"unknown role field", "roles:\n  r:" + okRole + "\n    service_acount: x\n", []string{`p.yaml:7: role "r": unknown field "service_acount"`}},
		{"duplicate key", "roles:\n  r:" + okRole + "\n    job_types: [pyspark]\n", []string{`p.yaml:7: role "r": duplicate key "job_types" (first at line 5)`}},
		{"duplicate role", "roles:\n  r:" + okRole + "\n  r:" + okRole + "\n", []string{`p.yaml:7: roles: duplicate key "r" (first at line 2)`}},
		{"alias", "roles:\n  r: &x" + okRole + "\n  s: *x\n", []string{`p.yaml:7: roles: s: YAML aliases are not allowed`}},
		{"merge key", "roles:\n  r: &x" + okRole + "\n  s:\n    <<: *x\n", []string{`p.yaml:8: role "s": merge keys (<<) are not allowed`}},
		{"missing fields", "roles:\n  r:\n    max_duration: 1h\n", []string{
			`p.yaml:2: role "r": missing service_account`, `p.yaml:2: role "r": missing targets`,
			`p.yaml:2: role "r": missing job_types`, `p.yaml:2: role "r": missing data_locations`}},
		{"bad role name", "roles:\n  \"r x\":" + okRole + "\n", []string{`p.yaml:2: role "r x": names are`}},
		{"bad service account", "roles:\n  r:" + strings.Replace(okRole, "r@p.iam.gserviceaccount.com", "r@p.example.com", 1) + "\n", []string{`p.yaml:3: role "r": service_account: "r@p.example.com" is not a service account`}},
		{"bad pattern", "roles:\n  r:" + strings.Replace(okRole, "project: p", "project: \"p/[a]\"", 1) + "\n", []string{`p.yaml:4: role "r": targets[0]: project: bad pattern "p/[a]"`}},
		{"empty pattern", "roles:\n  r:" + strings.Replace(okRole, "project: p", "project: ''", 1) + "\n", []string{`p.yaml:4: role "r": targets[0]: project: must not be empty`}},
		{"target allows nothing", "roles:\n  r:" + strings.Replace(okRole, ", serverless: true", "", 1) + "\n", []string{`p.yaml:4: role "r": targets[0]: allows nothing`}},
		{"target without region", "roles:\n  r:" + strings.Replace(okRole, " region: r,", "", 1) + "\n", []string{`p.yaml:4: role "r": targets[0]: project and region are required`}},
		{"bool as string", "roles:\n  r:" + strings.Replace(okRole, "serverless: true", "serverless: yes", 1) + "\n", []string{`p.yaml:4: role "r": targets[0]: serverless: expected true or false, got "yes"`}},
		{"unknown job type", "roles:\n  r:" + strings.Replace(okRole, "[spark]", "[spark, hive]", 1) + "\n", []string{`p.yaml:5: role "r": job_types: unknown value "hive"`}},
		{"non-canonical location", "roles:\n  r:" + strings.Replace(okRole, "gs://bkt/a", "gs://bkt/a/../b", 1) + "\n", []string{`p.yaml:6: role "r": data_locations: data location "gs://bkt/a/../b": write it canonically`}},
		{"location not gs", "roles:\n  r:" + strings.Replace(okRole, "gs://bkt/a", "s3://bkt/a", 1) + "\n", []string{`p.yaml:6: role "r": data_locations: data location "s3://bkt/a": not a gs:// URI`}},
		{"location bad bucket", "roles:\n  r:" + strings.Replace(okRole, "gs://bkt/a", "gs://b*/a", 1) + "\n", []string{`p.yaml:6: role "r": data_locations: ambiguous URI: bad bucket name "b*"`}},
		{"bad duration", "roles:\n  r:" + okRole + "\n    max_duration: 2 days\n", []string{`p.yaml:7: role "r": max_duration: bad duration "2 days"`}},
		{"duration over bound", "roles:\n  r:" + okRole + "\n    max_credential_lifetime: 13h\n", []string{`p.yaml:7: role "r": max_credential_lifetime: 13h0m0s exceeds the maximum of 12h0m0s`}},
		{"cel undeclared", "roles:\n  r:" + okRole + "\n    condition: request.clsuter == 'x'\n", []string{`p.yaml:7: role "r": condition: ERROR: <input>:1:8: undefined field 'clsuter'`}},
		{"cel type error", "roles:\n  r:" + okRole + "\n    condition: principal.type == 1\n", []string{`p.yaml:7: role "r": condition: ERROR: <input>:1:16: found no matching overload for '_==_'`}},
		{"cel not bool", "roles:\n  r:" + okRole + "\n    condition: principal.email\n", []string{`p.yaml:7: role "r": condition: condition must be a bool expression, got string`}},
		{"cel syntax error in block", "roles:\n  r:" + okRole + "\n    condition: |\n      principal.type == 'human' &&\n      time.getHourz() < 3\n", []string{`p.yaml:9: role "r": condition: ERROR: <input>:2:`}},
		{"binding unknown role", "roles:\n  r:" + okRole + "\nbindings:\n  - group: g\n    role: admin\n", []string{`p.yaml:9: bindings (line 8): unknown role "admin"`}},
		{"binding without subject", "roles:\n  r:" + okRole + "\nbindings:\n  - role: r\n", []string{`p.yaml:8: bindings (line 8): user or group is required`}},
		{"binding with both", "roles:\n  r:" + okRole + "\nbindings:\n  - {user: a, group: b, role: r}\n", []string{`p.yaml:8: bindings (line 8): set either user or group, not both`}},
		{"deny empty selector", "roles:\n  r:" + okRole + "\ndeny:\n  - principals: []\n", []string{`p.yaml:8: deny (line 8): principals: must not be empty`}},
		{"deny unknown role", "roles:\n  r:" + okRole + "\ndeny:\n  - name: x\n    roles: [q]\n", []string{`p.yaml:9: deny "x": roles: unknown role "q"`}},
		{"deny bad condition", "roles:\n  r:" + okRole + "\ndeny:\n  - condition: time > 3\n", []string{`p.yaml:8: deny (line 8): condition: ERROR`}},
		{"bad version", "version: 2\nroles: {}\n", []string{`p.yaml:1: version: only version 1`}},
		{"number for string", "roles:\n  r:" + strings.Replace(okRole, "project: p", "project: 123", 1) + "\n", []string{`p.yaml:4: role "r": targets[0]: project: expected a string, got int "123" (quote it)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("p.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse(%q) = %v, nil, want errors %q", tt.src, p.Summary(), tt.want)
			}
			got := strings.Split(err.Error(), "\n")
			var lines []string // drop continuation lines of multi-line CEL messages
			for _, g := range got {
				if !strings.HasPrefix(g, "\t") {
					lines = append(lines, g)
				}
			}
			if len(lines) != len(tt.want) {
				t.Fatalf("Parse(%q) = %q, want %d errors %q", tt.src, err, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("Parse(%q) error %d = %q, want prefix %q", tt.src, i, lines[i], w)
				}
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.File != "p.yaml" {
				t.Errorf("Parse(%q) error = %T %v, want a *policy.Error", tt.src, err, err)
			}
		})
	}
}

func TestParseVersion(t *testing.T) {
	data, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse("example.yaml", data)
	if err != nil {
		t.Fatalf("Parse(example.yaml) = %v", err)
	}
	if got, want := p.Version(), Version(data); got != want {
		t.Errorf("Version() = %q, want %q", got, want)
	}
	q, _ := Parse("example.yaml", append(data, '\n'))
	if q.Version() == p.Version() {
		t.Errorf("Version() of changed content = %q, want a different version", q.Version())
	}
	if got, want := p.Roles(), []string{"etl", "analyst", "bot", "oncall"}; !equal(got, want) {
		t.Errorf("Roles() = %q, want %q", got, want)
	}
}

func equal(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

func TestLoadLimits(t *testing.T) {
	dir := t.TempDir()
	big := dir + "/big.yaml"
	if err := os.WriteFile(big, make([]byte, maxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Load(big) = %v, want a size error", err)
	}
	if _, err := Load(dir + "/missing.yaml"); err == nil {
		t.Errorf("Load(missing) = nil, want an error")
	}
}
