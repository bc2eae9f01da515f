package policy

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"sync"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
)

// Limits on CEL conditions: size at parse time, cost at evaluation time (for
// conditions with loops). A condition that runs out of budget fails closed
// (the role fails; a deny rule denies).
const (
	celMaxExpressionSize = 4096
	celCostLimit         = 100_000
)

// celEnv is the environment every condition is compiled in: the variables
// request (policy.Request), principal (policy.Principal) and time (the
// decision time, a timestamp; also request.time), with the standard macros and
// the strings extension.
var celEnv = sync.OnceValues(func() (*cel.Env, error) {
	opts := []cel.EnvOption{
		ext.NativeTypes(types.ParseStructTags(true), reflect.TypeFor[Request](), reflect.TypeFor[Principal]()),
		ext.Strings(),
		cel.Variable("request", cel.ObjectType("policy.Request")),
		cel.Variable("principal", cel.ObjectType("policy.Principal")),
		cel.Variable("time", cel.TimestampType),
		cel.ParserExpressionSizeLimit(celMaxExpressionSize),
	}
	return cel.NewEnv(append(opts, celTimeZones()...)...)
})

// condition is a compiled, type-checked CEL condition.
type condition struct {
	src string
	prg cel.Program
}

// compileCondition parses, type-checks and plans a condition; it must be a
// bool expression.
func compileCondition(src string) (*condition, error) {
	env, err := celEnv()
	if err != nil {
		return nil, fmt.Errorf("cel.NewEnv: %w", err)
	}
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	if !ast.OutputType().IsExactType(types.BoolType) {
		return nil, fmt.Errorf("condition must be a bool expression, got %s", ast.OutputType())
	}
	opts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	if hasComprehension(ast) {
		// Only loops (exists, all, map, filter) can make the cost grow beyond
		// the size of the expression times the size of the request; cost
		// tracking is not free, so only they pay for it.
		opts = append(opts, cel.CostLimit(celCostLimit))
	}
	prg, err := env.Program(ast, opts...)
	if err != nil {
		return nil, err
	}
	return &condition{src: src, prg: prg}, nil
}

// hasComprehension reports whether the expression contains a loop.
func hasComprehension(a *cel.Ast) bool {
	found := false
	celast.PostOrderVisit(a.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		found = found || e.Kind() == celast.ComprehensionKind
	}))
	return found
}

// eval runs the condition. Any error (cost limit, missing map key, overflow)
// is returned for the caller to fail closed.
func (c *condition) eval(act *activation) (bool, error) {
	out, _, err := c.prg.Eval(act)
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, errors.New("condition did not evaluate to a bool")
	}
	return b, nil
}

// activation binds the CEL variables for one evaluation.
type activation struct {
	request   *Request
	principal *Principal
	time      types.Timestamp
}

var _ interpreter.Activation = (*activation)(nil)

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "request":
		return a.request, true
	case "principal":
		return a.principal, true
	case "time":
		return a.time, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

var celLoc = regexp.MustCompile(`<input>:(\d+):\d+:`)

// celErrorLine returns the 1-based line within the expression of the first
// CEL error in err, or 0.
func celErrorLine(err error) int {
	m := celLoc.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
