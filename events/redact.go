package events

import (
	"maps"
	"strings"
)

// Redacted replaces the value of a job property whose key looks like it
// holds a secret, in every event and decision snapshot.
const Redacted = "[redacted]"

// secretWords mark a property key whose value is redacted.
var secretWords = []string{"secret", "passw", "token", "credential", "private", "keyfile", "keystore", "apikey", "api.key", "api_key",
	"api-key", "access.key", "access_key", "access-key", "accesskey", "secretkey", "account.key", ".key.", ".sas.", "sas.token",
	"sastoken", "signature", "bearer", "authorization", "cookie"}

// SecretProperty reports whether a Spark or job property key looks like it
// holds a secret (spark.hadoop.fs.s3a.secret.key, ...keyfile, *.password,
// fs.azure.account.key.ACCOUNT.dfs.core.windows.net, fs.azure.sas.*). It
// errs on the side of redacting: a redacted value only hides what the
// audit shows, never what the job runs with.
func SecretProperty(k string) bool {
	k = strings.ToLower(k)
	if strings.HasSuffix(k, ".key") {
		return true
	}
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// RedactProperties returns props with every secret-looking value replaced
// by Redacted; props itself is returned when it holds none.
func RedactProperties(props map[string]string) map[string]string {
	for k := range props {
		if SecretProperty(k) {
			out := maps.Clone(props)
			for k := range out {
				if SecretProperty(k) {
					out[k] = Redacted
				}
			}
			return out
		}
	}
	return props
}
