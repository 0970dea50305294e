/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Standalone mode (--manifests DIR): Services and EndpointSlices from the
 * *.yaml, *.yml and *.json files of one folder, for hosts without a
 * cluster.
 *
 * The folder's convention, since there is no API server to assign cluster
 * IPs nor an EndpointSlice controller to resolve selectors:
 *  - A Service needs spec.clusterIP (or spec.clusterIPs). One without is
 *    skipped with a log line, as are objects that do not validate.
 *  - Its endpoints come from EndpointSlice objects labelled
 *    kubernetes.io/service-name: <the Service's name>, in the same
 *    namespace, written as the controller would write them (the slice's
 *    ports carry the resolved targetPort). The selector is not used.
 *  - A manifest can be kept as written elsewhere (a tutorial's, one meant
 *    for a cluster) and completed by an Overlay: a JSON merge patch
 *    (RFC 7386) applied to one object before it is decoded,
 *        apiVersion: kserviced.kservice.io/v1alpha1
 *        kind: Overlay
 *        target: {kind: Service, namespace: default, name: my-app-service}
 *        patch: {spec: {clusterIP: 10.96.0.10}}
 *    Overlays apply in file-name order whatever file their target is in;
 *    an overlay whose target is missing is logged.
 *  - A v1 Node named as this node (--hostname-override) may give its
 *    zone (label topology.kubernetes.io/zone, for topology) and, with a
 *    metadata.deletionTimestamp, make /healthz's nodeEligible false.
 *    Nodes of other names are ignored.
 *  - A file holds one or more documents ("---"); a document may be a List
 *    (kind: List, ServiceList, ...) whose items are objects. Other kinds
 *    are ignored. Namespace defaults to "default".
 *  - Files are read in name order; an object defined twice is taken from
 *    the later file, with a warning. Names starting with '.' are ignored
 *    (editor files, and a ConfigMap volume's ..data).
 *  - A file that does not parse (YAML or JSON syntax) abandons the whole
 *    reload: the objects of the last good load stay, so that a typo
 *    never deletes services.
 *
 * The folder is watched with inotify; a change is acted on once the folder
 * has been quiet for the debounce time.
 */
#ifndef KSD_MANIFESTS_H
#define KSD_MANIFESTS_H

#include "source.h"

#define KSD_OVERLAY_API_VERSION	"kserviced.kservice.io/v1alpha1"
#define KSD_MANIFESTS_DEBOUNCE_MS	200
/* Larger files are refused, as a guard against reading the wrong file. */
#define KSD_MANIFEST_MAX	(64U << 20)

struct ksd_manifests_stats {
	unsigned int files;
	unsigned int services;
	unsigned int slices;
	unsigned int skipped;		/* objects that did not validate */
	unsigned int overlays;
	unsigned int nodes;		/* this node's Node kept: 0 or 1 */
};

/*
 * Reads every manifest of dir into st (empty on entry). Returns 0, or
 * -errno when the folder cannot be read or a file does not parse (logged;
 * st is then emptied).
 */
int ksd_manifests_load(const char *dir, struct ksd_store *st,
		       struct ksd_manifests_stats *stats);

/* The source over dir (copied); debounce_ms as above. NULL if out of
 * memory. */
struct ksd_source *ksd_manifests_source(const char *dir,
					unsigned int debounce_ms);

#endif /* KSD_MANIFESTS_H */
