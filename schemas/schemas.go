package schemas

import (
	"embed"
	"io/fs"
)

// BaseURL is the prefix of every schema's $id. A schema's $id, and the
// dataschema attribute of the events it describes, is BaseURL + file name.
const BaseURL = "https://dataproc-iis.dev/schemas/"

//go:embed *.json
var files embed.FS

// FS returns the embedded schema files, one "<type-without-prefix>.json" per
// event type, all at the root of the returned file system.
func FS() fs.FS { return files }

// URL returns the $id of the schema stored in file name (e.g.
// "job.requested.v1.json").
func URL(name string) string { return BaseURL + name }
