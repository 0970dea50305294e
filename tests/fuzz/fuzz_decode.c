// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: arbitrary bytes as JSON, an object or a list of them
 * (as a list's items), each decoded as a Service, an EndpointSlice and a
 * Node (decode.c) and, when it decodes, put in a store (store.c) as the
 * API source does; then every object is deleted again by the namespace
 * and name its JSON says, as a DELETED watch event does it.
 *
 * Besides the sanitizers: each decoded object keeps the limits decode.h
 * claims, a refused one leaves the caller's pointer alone and says why
 * on one line, the store stays sorted, and the deletions leave it empty.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
	const cJSON *item;
	struct ksd_store st;

	if (!doc)
		return 0;
	ksd_store_init(&st);
	st.node_name = "node-1";
	if (cJSON_IsArray(doc)) {
		cJSON_ArrayForEach(item, doc)
			fuzz_decode_put(&st, item);
	} else {
		fuzz_decode_put(&st, doc);
	}
	fuzz_check_store(&st);
	for (item = cJSON_IsArray(doc) ? doc->child : doc; item;
	     item = cJSON_IsArray(doc) ? item->next : NULL) {
		const char *ns = fuzz_meta_str(item, "namespace");
		const char *name = fuzz_meta_str(item, "name");

		if (!name)
			continue;
		if (!ns || !*ns)
			ns = "default";
		ksd_store_del_service(&st, ns, name);
		ksd_store_del_slice(&st, ns, name);
		ksd_store_del_node(&st, name);
	}
	fuzz_assert(!st.nsvcs && !st.nslices && !st.node);
	ksd_store_release(&st);
	cJSON_Delete(doc);
	return 0;
}
