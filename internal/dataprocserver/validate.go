package dataprocserver

import (
	"fmt"
	"regexp"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var (
	requestIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)
	jobIDRE     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)
	batchIDRE   = regexp.MustCompile(`^[a-z0-9-]{4,63}$`)
	// Dataproc label rules: keys start with a lowercase letter; keys and
	// values hold lowercase letters, digits, '_' and '-', at most 63 each.
	labelKeyRE   = regexp.MustCompile(`^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$`)
	labelValueRE = regexp.MustCompile(`^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$`)
	// Project ids and regions as the API spells them.
	projectRE = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	regionRE  = regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]+$`)
)

// maxLabels is the most labels a job or batch may carry.
const maxLabels = 32

func invalid(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

func checkRequestID(id string) error {
	if id != "" && !requestIDRE.MatchString(id) {
		return invalid("request_id %q must be at most 40 characters of [A-Za-z0-9_-].", id)
	}
	return nil
}

func checkLabels(labels map[string]string) error {
	if len(labels) > maxLabels {
		return invalid("At most %d labels are allowed, got %d.", maxLabels, len(labels))
	}
	for k, v := range labels {
		if !labelKeyRE.MatchString(k) {
			return invalid("Label key %q is invalid: it must start with a lowercase letter and hold at most 63 lowercase letters, digits, '_' or '-'.", k)
		}
		if !labelValueRE.MatchString(v) {
			return invalid("Label value %q of key %q is invalid: at most 63 lowercase letters, digits, '_' or '-'.", v, k)
		}
	}
	return nil
}

func checkLocation(project, region string) error {
	if !projectRE.MatchString(project) {
		return invalid("Invalid project id %q.", project)
	}
	if !regionRE.MatchString(region) {
		return invalid("Invalid region %q.", region)
	}
	return nil
}

// parseName splits "projects/{p}/{collection}/{r}/{kind}/{id}" and checks its shape.
func parseName(name, collection, kind string) (project, region, id string, err error) {
	parts := strings.Split(name, "/")
	if len(parts) != 6 || parts[0] != "projects" || parts[2] != collection || parts[4] != kind || parts[5] == "" {
		return "", "", "", invalid("Invalid resource name %q: want projects/{project}/%s/{region}/%s/{id}.", name, collection, kind)
	}
	if err := checkLocation(parts[1], parts[3]); err != nil {
		return "", "", "", err
	}
	return parts[1], parts[3], parts[5], nil
}

// parseParent splits "projects/{p}/{collection}/{r}".
func parseParent(parent, collection string) (project, region string, err error) {
	parts := strings.Split(parent, "/")
	if len(parts) != 4 || parts[0] != "projects" || parts[2] != collection {
		return "", "", invalid("Invalid parent %q: want projects/{project}/%s/{region}.", parent, collection)
	}
	if err := checkLocation(parts[1], parts[3]); err != nil {
		return "", "", err
	}
	return parts[1], parts[3], nil
}

func batchName(project, region, id string) string {
	return fmt.Sprintf("projects/%s/locations/%s/batches/%s", project, region, id)
}

func operationName(project, region, id string) string {
	return fmt.Sprintf("projects/%s/regions/%s/operations/%s", project, region, id)
}
