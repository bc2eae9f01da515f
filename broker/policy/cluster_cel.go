package policy

import (
	"fmt"
	"reflect"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
)

// clusterEnv is the environment of a clusters section's condition: the
// variables of a role condition (request, principal, time) plus cluster,
// the whole configuration asked for (policy.ClusterSpec).
var clusterEnv = sync.OnceValues(func() (*cel.Env, error) {
	opts := []cel.EnvOption{
		ext.NativeTypes(types.ParseStructTags(true), reflect.TypeFor[Request](), reflect.TypeFor[Principal](), reflect.TypeFor[ClusterSpec]()),
		ext.Strings(),
		cel.Variable("request", cel.ObjectType("policy.Request")),
		cel.Variable("principal", cel.ObjectType("policy.Principal")),
		cel.Variable("cluster", cel.ObjectType("policy.ClusterSpec")),
		cel.Variable("time", cel.TimestampType),
		cel.ParserExpressionSizeLimit(celMaxExpressionSize),
	}
	return cel.NewEnv(append(opts, celTimeZones()...)...)
})

// compileClusterCondition compiles a condition in clusterEnv; like a role
// condition it must be a bool expression and has a cost budget.
func compileClusterCondition(src string) (*condition, error) {
	env, err := clusterEnv()
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
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(celCostLimit))
	if err != nil {
		return nil, err
	}
	return &condition{src: src, prg: prg}, nil
}

// clusterActivation adds cluster to a role condition's variables.
type clusterActivation struct {
	*activation
	cluster *ClusterSpec
}

var _ interpreter.Activation = clusterActivation{}

func (a clusterActivation) ResolveName(name string) (any, bool) {
	if name == "cluster" {
		return a.cluster, true
	}
	return a.activation.ResolveName(name)
}

// evalCluster runs a cluster condition.
func (c *condition) evalCluster(act *activation, spec *ClusterSpec) (bool, error) {
	out, _, err := c.prg.Eval(clusterActivation{activation: act, cluster: spec})
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("condition did not evaluate to a bool")
	}
	return b, nil
}
