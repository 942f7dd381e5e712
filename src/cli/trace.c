// SPDX-License-Identifier: MIT
/*
 * uvfio trace: the daemon's events (src/daemon/trace.c lists them), filtered
 * by device and kind, as lines a person reads or as the daemon's JSON.
 *
 *	12:00:01.569689 ioctl pid 4711 [vfio-device] 0000:00:03.0
 *		VFIO_DEVICE_GET_REGION_INFO argsz=32 index=0 -> ... = 0
 *
 * The text form is the JSON object's fields in order: the time, the op,
 * then key=value for the rest ("args" bare, "out" after "->", "result" as
 * "= N", a kmsg's message as it is).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

const char trace_usage[] =
	"Usage: uvfio [--dir DIR] trace [--format text|json] [--dev BDF] [--kind KINDS]\n"
	"\n"
	"Streams what the daemon at DIR (or $UVFIO_DIR) does, until interrupted or the\n"
	"daemon stops: every uAPI call (open, ioctl with its arguments and results\n"
	"decoded, read and write of a region with offset, width and value, trapped\n"
	"loads and stores marked mmio), sysfs writes, a device's DMA (IOVA, length,\n"
	"direction, result), the interrupts it signals, the kernel's messages (kmsg)\n"
	"and the steps of a device's removal (request, released, unplug, plug).\n"
	"\n"
	"  --format text|json  one readable line per event (the default), or the\n"
	"                      daemon's JSON object per line, for tools\n"
	"  --dev BDF           only events of that device (its calls, DMA, interrupts,\n"
	"                      messages, and sysfs writes under its directory)\n"
	"  --kind KINDS        only these kinds, comma-separated: open, ioctl, read,\n"
	"                      write, sysfs_write, dma, irq, kmsg, request, released,\n"
	"                      unplug, plug; or uapi (open, ioctl, read, write),\n"
	"                      sysfs, hotplug (request, released, unplug, plug)\n"
	"  -h, --help          this text\n";

static const char *const kinds[] = {
	"open", "ioctl", "read",    "write",	"sysfs_write", "dma",
	"irq",	"kmsg",	 "request", "released", "unplug",      "plug",
};

struct filter {
	bool json;
	const char *dev;
	bool kind[sizeof(kinds) / sizeof(kinds[0])];
	bool any_kind;
};

static bool add_kind(struct filter *f, const char *k)
{
	static const struct {
		const char *alias, *members;
	} aliases[] = {
		{ "uapi", "open,ioctl,read,write" },
		{ "sysfs", "sysfs_write" },
		{ "hotplug", "request,released,unplug,plug" },
	};

	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (!strcmp(k, aliases[i].alias)) {
			char copy[64], *save, *m;

			snprintf(copy, sizeof(copy), "%s", aliases[i].members);
			for (m = strtok_r(copy, ",", &save); m; m = strtok_r(NULL, ",", &save))
				add_kind(f, m);
			return true;
		}
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (!strcmp(k, kinds[i])) {
			f->kind[i] = true;
			f->any_kind = true;
			return true;
		}
	}
	return false;
}

/*
 * The value of a top-level string field of one of the daemon's JSON lines
 * (our own output: flat fields first, no spaces), unescaped; false if absent.
 */
static bool field(const char *line, const char *key, char *out, size_t size)
{
	char pat[64];
	const char *p;
	size_t o = 0;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	for (p += strlen(pat); *p && *p != '"' && o + 1 < size; p++) {
		if (*p == '\\' && p[1])
			p++;
		out[o++] = *p;
	}
	out[o] = '\0';
	return true;
}

static bool wanted(const struct filter *f, const char *line)
{
	char op[32], v[512];

	if (!field(line, "op", op, sizeof(op)))
		return false;
	if (f->any_kind) {
		bool hit = false;

		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			hit |= f->kind[i] && !strcmp(op, kinds[i]);
		if (!hit)
			return false;
	}
	if (f->dev) {
		if (field(line, "dev", v, sizeof(v)))
			return !strcmp(v, f->dev);
		if (field(line, "path", v, sizeof(v)))
			return strstr(v, f->dev) != NULL;
		return false;
	}
	return true;
}

/* One JSON value at *p (string, number, literal, array or flat object) printed as text. */
static const char *print_value(const char *p, FILE *out)
{
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1]) {
				p++;
				fputc(*p == 'n' ? ' ' : *p, out);
			} else {
				fputc(*p, out);
			}
		}
		return *p ? p + 1 : p;
	}
	if (*p == '[' || *p == '{') {
		char close = *p == '[' ? ']' : '}';
		int depth = 0;

		do {
			if (*p == '[' || *p == '{')
				depth++;
			else if (*p == ']' || *p == '}')
				depth--;
			fputc(*p, out);
			p++;
		} while (*p && (depth > 0 || p[-1] != close));
		return p;
	}
	while (*p && *p != ',' && *p != '}')
		fputc(*p++, out);
	return p;
}

/* Fields of the flat object at p ("{...}"), as key=value; returns past its '}'. */
static const char *print_fields(const char *p, FILE *out, bool top)
{
	if (*p == '{')
		p++;
	while (*p && *p != '}') {
		const char *key = p + 1, *end = strchr(key, '"');
		size_t klen;

		if (*p != '"' || !end || end[1] != ':')
			break;
		klen = (size_t)(end - key);
		p = end + 2;
		if (top && klen == 2 && !strncmp(key, "ts", 2)) {
			char ts[64];
			double t = strtod(p, NULL);
			time_t s = (time_t)t;
			struct tm tm;

			localtime_r(&s, &tm);
			strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
			fprintf(out, "%s.%06ld", ts, (long)((t - (double)s) * 1e6 + 0.5) % 1000000);
			while (*p && *p != ',' && *p != '}')
				p++;
		} else if (top && klen == 2 && !strncmp(key, "op", 2)) {
			fputc(' ', out);
			p = print_value(p, out);
		} else if (top &&
			   (klen == 4 && (!strncmp(key, "args", 4) || !strncmp(key, "name", 4)))) {
			if (*p == '{') {
				p = print_fields(p, out, false);
			} else {
				fputc(' ', out);
				p = print_value(p, out);
			}
		} else if (top && klen == 3 && !strncmp(key, "out", 3)) {
			fputs(" ->", out);
			p = print_fields(p, out, false);
		} else if (top && klen == 6 && !strncmp(key, "result", 6)) {
			fputs(" = ", out);
			p = print_value(p, out);
		} else if (top && ((klen == 3 && !strncmp(key, "msg", 3)) ||
				   (klen == 4 && !strncmp(key, "file", 4)) ||
				   (klen == 3 && !strncmp(key, "dev", 3)) ||
				   (klen == 4 && !strncmp(key, "path", 4)))) {
			fputc(' ', out);
			p = print_value(p, out);
		} else {
			fprintf(out, " %.*s=", (int)klen, key);
			p = print_value(p, out);
		}
		if (*p == ',')
			p++;
	}
	return *p == '}' ? p + 1 : p;
}

int cmd_trace(const char *dir, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "dev", required_argument, NULL, 'd' },
		{ "kind", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct filter f = { 0 };
	char *verb[] = { (char *)"trace", NULL };
	char *line = NULL, *save, *k;
	size_t cap = 0;
	FILE *in;
	int c, fd;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				fprintf(stderr,
					"uvfio trace: --format is text or json, not '%s'\n\n",
					optarg);
				fputs(trace_usage, stderr);
				return 2;
			}
			f.json = !strcmp(optarg, "json");
			break;
		case 'd':
			f.dev = optarg;
			break;
		case 'k':
			for (k = strtok_r(optarg, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
				if (!add_kind(&f, k)) {
					fprintf(stderr, "uvfio trace: unknown kind '%s'\n\n", k);
					fputs(trace_usage, stderr);
					return 2;
				}
			}
			break;
		case 'h':
			fputs(trace_usage, stdout);
			return 0;
		default:
			fputs(trace_usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "uvfio trace: unexpected argument '%s'\n\n", argv[optind]);
		fputs(trace_usage, stderr);
		return 2;
	}
	if (!dir) {
		fprintf(stderr, "uvfio trace: no daemon (use --dir DIR or set UVFIO_DIR)\n");
		return 2;
	}
	fd = ctl_connect(dir, 1, verb);
	if (fd < 0)
		return -fd;
	in = fdopen(fd, "r");
	if (!in)
		return 1;
	while (getline(&line, &cap, in) > 0) {
		if (!wanted(&f, line))
			continue;
		if (f.json)
			fputs(line, stdout);
		else {
			print_fields(line, stdout, true);
			fputc('\n', stdout);
		}
		fflush(stdout);
	}
	free(line);
	fclose(in);
	return 0;
}
