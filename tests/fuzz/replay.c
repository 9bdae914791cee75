/*
 * A stand-in for libFuzzer's main(): runs LLVMFuzzerTestOneInput() over
 * files, so that the seed corpus and the regression inputs of a fuzz
 * target run under any compiler in "make check".
 *
 *	replay_<target> [file-or-directory ...]
 *
 * Without arguments it reads $WS_SRCDIR/tests/fuzz/corpus/<target> and
 * $WS_SRCDIR/tests/fuzz/regressions/<target> (FUZZ_TARGET is set by the
 * build).  Output is TAP, one line per input; a crash or a failed
 * invariant aborts the program, which the TAP driver reports.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET must name the target (its corpus directory)"
#endif

struct input {
	char *path;
};

static struct input *inputs;
static size_t ninputs, cap;

static void
add_input(const char *path)
{
	if (ninputs == cap) {
		cap = cap ? cap * 2 : 64;
		inputs = realloc(inputs, cap * sizeof(*inputs));
		if (inputs == NULL) {
			perror("realloc");
			exit(99);
		}
	}
	inputs[ninputs].path = strdup(path);
	if (inputs[ninputs].path == NULL) {
		perror("strdup");
		exit(99);
	}
	ninputs++;
}

static int
cmp_input(const void *a, const void *b)
{
	return strcmp(((const struct input *)a)->path,
	    ((const struct input *)b)->path);
}

/* Add a file, or every regular file directly in a directory.  A missing
 * path is an error only when `must` is set. */
static int
add_path(const char *path, int must)
{
	struct stat sb;
	DIR *d;
	struct dirent *de;

	if (stat(path, &sb) != 0) {
		if (!must && errno == ENOENT)
			return 0;
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		add_input(path);
		return 0;
	}
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char buf[4096];

		if (de->d_name[0] == '.')
			continue;
		snprintf(buf, sizeof(buf), "%s/%s", path, de->d_name);
		if (stat(buf, &sb) == 0 && S_ISREG(sb.st_mode))
			add_input(buf);
	}
	closedir(d);
	return 0;
}

static int
read_file(const char *path, uint8_t **out, size_t *outlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, bufcap = 0;

	if (f == NULL)
		return -1;
	for (;;) {
		size_t n;

		if (len == bufcap) {
			bufcap = bufcap ? bufcap * 2 : 4096;
			buf = realloc(buf, bufcap);
			if (buf == NULL) {
				fclose(f);
				return -1;
			}
		}
		n = fread(buf + len, 1, bufcap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	*out = buf;
	*outlen = len;
	return 0;
}

int
main(int argc, char **argv)
{
	int failed = 0;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (add_path(argv[i], 1) != 0)
				return 99;
	} else {
		const char *src = getenv("WS_SRCDIR");
		char buf[4096];

		if (src == NULL)
			src = ".";
		snprintf(buf, sizeof(buf), "%s/tests/fuzz/corpus/%s", src,
		    FUZZ_TARGET);
		if (add_path(buf, 1) != 0)
			return 99;
		snprintf(buf, sizeof(buf), "%s/tests/fuzz/regressions/%s", src,
		    FUZZ_TARGET);
		if (add_path(buf, 0) != 0)
			return 99;
	}
	qsort(inputs, ninputs, sizeof(*inputs), cmp_input);
	printf("1..%zu\n", ninputs);
	if (ninputs == 0)
		printf("# no inputs for %s\n", FUZZ_TARGET);
	for (size_t i = 0; i < ninputs; i++) {
		uint8_t *data, *copy;
		size_t len;

		if (read_file(inputs[i].path, &data, &len) != 0) {
			printf("not ok %zu - %s: cannot read\n", i + 1,
			    inputs[i].path);
			failed = 1;
			continue;
		}
		/* An exact-size copy, as libFuzzer gives, so that ASan
		 * catches a read one byte past the input. */
		copy = malloc(len ? len : 1);
		if (copy == NULL)
			return 99;
		memcpy(copy, data, len);
		free(data);
		fflush(stdout);
		LLVMFuzzerTestOneInput(copy, len);
		free(copy);
		printf("ok %zu - %s (%zu bytes)\n", i + 1, inputs[i].path, len);
		free(inputs[i].path);
	}
	free(inputs);
	return failed;
}
