// Package schemas holds the JSON Schemas (draft 2020-12) of the data of every
// event in the Dataproc IIS catalog, one file per event type, embedded in the
// binary.
//
// It is separate from package events so that the schemas are plain files that
// other tools (a SIEM, a schema registry, a pipeline written in another
// language) can read as they are, and so that every schema's $id, metadata
// and examples can be checked on their own. Package events compiles them once
// and validates every event it builds or receives against them.
//
// A schema's file name is its event type without the "dev.dataproc-iis."
// prefix plus ".json", and its $id is BaseURL followed by the file name; the
// $id is the CloudEvents dataschema attribute of the events of that type.
package schemas
