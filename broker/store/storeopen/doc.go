// Package storeopen opens the store a URL names, so that commands and tests
// choose a backend with one flag or environment variable.
//
// It is separate from package store because it imports every backend, and
// the backends import store: keeping the choice here keeps store free of
// drivers and of import cycles.
package storeopen
