// Package cluster runs cluster requests end to end: clusters tied to the
// verified identity that asked for them.
//
// A cluster.requested event is decided like a job (the token, the
// directory, the role's clusters section with its templates and caps) and
// recorded with the cluster it approves, before anything is created, so
// that a leaver's cascade finds the cluster however far its creation got.
// The approved configuration is created with Dataproc's CreateCluster
// under a short-lived token minted for the role's service account (its VMs
// run as it), once per request under a claim that concurrent deliveries
// wait on, with a name and request_id derived from the request (the second
// line of defence), the broker's labels and mandatory idle and auto-delete
// TTLs. The principal is re-checked after the create: one who lost access
// meanwhile has the cluster deleted at once.
//
// The Watcher follows every cluster to its end: CREATING to RUNNING or
// ERROR (an ERROR cluster is deleted), the broker's own deletion at the
// auto-delete time if Dataproc did not delete it, deletes Dataproc could
// not do yet (a cluster still CREATING), and the cluster gone, which ends
// its trail with cluster.deleted and its access bindings with it. An
// approved cluster whose creation never came (the request was given up) is
// ended as NOT_CREATED once no delivery is creating it. A
// cluster.delete_requested event deletes a cluster for its owner or a role
// that may cancel others' work.
package cluster
