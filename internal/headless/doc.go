// Package headless is a small browser for tests and the CLI's tests: a
// cookie jar, redirects followed (and stopped at a given prefix, such as
// the CLI's loopback listener), and the HTML forms of a page read and
// submitted. It lets a test log in through an identity provider's real
// login form, as a person would, with no shortcut into any store.
package headless
