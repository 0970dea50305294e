// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: arbitrary bytes as a manifests folder, read by
 * ksd_manifests_load() (manifests.c: YAML and JSON files, Lists, Overlays
 * by JSON merge patch, this node's Node) into a store. The input is cut
 * into files at each line that starts with "#@": the rest of that line
 * names the next file (what comes before the first goes to 00.yaml; an
 * empty name, one with a '/', or one already taken becomes fNN.yaml).
 * The files are written to a fresh folder under $TMPDIR (else /dev/shm,
 * else /tmp) and removed after each run.
 *
 * Besides the sanitizers: a refused folder leaves the store empty; a read
 * one has the counts of its stats (services, slices, this node's Node 0
 * or 1), objects that keep decode.h's limits, a cluster IP (or headless,
 * or ExternalName) for every Service, and a sorted store.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "manifests.h"

#define FILES_MAX	32
#define NAME_MAX_LEN	64

static char dir[4096];
static char names[FILES_MAX][NAME_MAX_LEN + 1];
static size_t nnames;

static void cleanup(void)
{
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	fuzz_quiet_log();
	/* Memory is twice as fast as a disk for a folder per run. */
	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
	snprintf(dir, sizeof(dir), "%s/fuzz_manifests.XXXXXX", tmp);
	if (!mkdtemp(dir)) {
		perror("fuzz_manifests: mkdtemp");
		abort();
	}
	atexit(cleanup);
	return 0;
}

static bool taken(const char *name)
{
	for (size_t i = 0; i < nnames; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

static void put_file(const char *name, size_t nlen, const uint8_t *data,
		     size_t len)
{
	char *n = names[nnames], path[sizeof(dir) + NAME_MAX_LEN + 2];
	int fd;

	if (nnames == FILES_MAX)
		return;
	snprintf(n, NAME_MAX_LEN + 1, "%.*s", (int)nlen, name);
	if (!nlen || nlen > NAME_MAX_LEN || strlen(n) != nlen ||
	    strchr(n, '/') || !strcmp(n, ".") || !strcmp(n, "..") || taken(n))
		snprintf(n, NAME_MAX_LEN + 1, "f%02zu.yaml", nnames);
	if (taken(n))
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, n);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len)) {
		perror("fuzz_manifests: write");
		abort();
	}
	close(fd);
	nnames++;
}

/* The input as files; see above. */
static void write_files(const uint8_t *data, size_t size)
{
	const char *name = "00.yaml";
	size_t nlen = strlen(name), at = 0;

	for (;;) {
		size_t end = at, next;

		/* This file ends before the next "#@" line. */
		while (end < size && !(size - end >= 2 &&
				       !memcmp(data + end, "#@", 2) &&
				       (!end || data[end - 1] == '\n')))
			end++;
		put_file(name, nlen, data + at, end - at);
		if (end == size)
			return;
		next = end + 2;
		while (next < size && data[next] == ' ')
			next++;
		name = (const char *)data + next;
		while (next < size && data[next] != '\n')
			next++;
		nlen = (size_t)((const char *)data + next - name);
		at = next < size ? next + 1 : size;
	}
}

static void remove_files(void)
{
	char path[sizeof(dir) + NAME_MAX_LEN + 2];

	for (size_t i = 0; i < nnames; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (unlink(path)) {
			perror("fuzz_manifests: unlink");
			abort();
		}
	}
	nnames = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ksd_manifests_stats stats;
	struct ksd_store st;
	int ret;

	write_files(data, size);
	ksd_store_init(&st);
	st.node_name = "node-1";
	ret = ksd_manifests_load(dir, &st, &stats);
	remove_files();
	if (ret) {
		fuzz_assert(!st.nsvcs && !st.nslices && !st.node);
		ksd_store_release(&st);
		return 0;
	}
	fuzz_check_store(&st);
	fuzz_assert(stats.services == st.nsvcs &&
		    stats.slices == st.nslices);
	fuzz_assert(stats.nodes == (st.node ? 1 : 0));
	for (size_t i = 0; i < st.nsvcs; i++) {
		const struct ksd_service *s = st.svcs[i];

		fuzz_assert(s->type == KSD_SVC_EXTERNAL_NAME || s->headless ||
			    s->ncluster_ips);
	}
	ksd_store_release(&st);
	return 0;
}
