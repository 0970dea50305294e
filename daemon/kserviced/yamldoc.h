/* SPDX-License-Identifier: GPL-2.0 */
/*
 * YAML to the cJSON tree the decoders read, so that a manifest means the
 * same in either form. Scalars are typed as Kubernetes' YAML reader types
 * them (YAML 1.1): plain 80 is a number, plain true/yes/on a boolean (but
 * not y/n), plain null/~/empty a null, anything quoted or block-styled a string, and an
 * explicit tag (!!str, !!int, ...) wins. Anchors and aliases are expanded
 * (with a bound on the size they may grow to); merge keys ("<<") are not
 * special; a duplicate key in a mapping is an error.
 */
#ifndef KSD_YAMLDOC_H
#define KSD_YAMLDOC_H

#include <stddef.h>
#include <cjson/cJSON.h>

#define KSD_YAML_WHY_MAX	256
/* Most nodes one stream may expand to, aliases included. */
#define KSD_YAML_NODES_MAX	(1U << 20)
#define KSD_YAML_DEPTH_MAX	128

/*
 * Parses every document of buf (separated by "---") into *docs, a cJSON
 * array of their roots; empty documents are left out. Returns 0, or
 * -EINVAL with "line L column C: what" in why (the whole stream is
 * refused), or -ENOMEM.
 */
int ksd_yaml_parse(const char *buf, size_t len, cJSON **docs, char *why);

#endif /* KSD_YAMLDOC_H */
