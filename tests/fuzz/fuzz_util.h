/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fuzz targets over cluster-controlled input share: the log kept
 * quiet (each line still checked), and the invariants of decoded objects
 * and of the store, each a claim of decode.h or store.h; a broken one
 * aborts, which libFuzzer reports as a crash.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>

#include "decode.h"
#include "store.h"

/* Aborts, naming the claim, when cond is false. */
#define fuzz_assert(cond) \
	((cond) ? (void)0 : fuzz_fail(#cond, __FILE__, __LINE__))
void fuzz_fail(const char *what, const char *file, int line)
	__attribute__((noreturn));

/* The log goes to a sink that checks each line is one line (no control
 * character). A target without its own LLVMFuzzerInitialize gets one
 * that does only this. */
void fuzz_quiet_log(void);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* metadata.<key> of obj when it is a string, as apiclient.c reads it. */
const char *fuzz_meta_str(const cJSON *obj, const char *key);

/* A decoder's refusal: why says it, on one line, naming the kind. */
void fuzz_check_why(const char *why, const char *kind);
void fuzz_check_service(const struct ksd_service *svc);
void fuzz_check_slice(const struct ksd_slice *sl);
void fuzz_check_node(const struct ksd_node *node);
/* Every object valid, arrays sorted by namespace/name without
 * duplicates, the Node (if any) named node_name. */
void fuzz_check_store(const struct ksd_store *st);

/*
 * obj decoded as a Service, an EndpointSlice and a Node, each result
 * checked and, when it decodes, put in st (which takes it). Returns a
 * bit per kind that decoded (1 Service, 2 EndpointSlice, 4 Node).
 */
unsigned int fuzz_decode_put(struct ksd_store *st, const cJSON *obj);

#endif /* FUZZ_UTIL_H */
