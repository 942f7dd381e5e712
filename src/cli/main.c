// SPDX-License-Identifier: MIT
/*
 * uvfio: the command-line front end.
 *
 *   uvfio demo  [--machine FILE]   build the machine, print it, run the edu example job
 *   uvfio tree  [--machine FILE]   print the machine: devices, IOMMU groups, drivers
 *   uvfio check-machine FILE       parse a machine file and report problems
 *   uvfio run [--machine FILE] -- PROGRAM   run PROGRAM against a private daemon
 *   uvfio daemon --dir DIR         the daemon in the foreground
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "uvfio/uvfio.h"

static void usage(FILE *out)
{
	fputs("Usage: uvfio [--help] [--version] [--dir DIR] COMMAND [OPTIONS]\n"
	      "\n"
	      "uvfio is the Linux VFIO framework in userspace: the driver core, IOMMU groups,\n"
	      "VFIO containers, groups and devices, type1 and vfio-pci over emulated PCI\n"
	      "devices, with Linux 6.12's semantics and errnos.\n"
	      "\n"
	      "Commands:\n"
	      "  run [--machine FILE] -- PROGRAM [ARGS]\n"
	      "                           run an unmodified program against a private uvfio\n"
	      "                           daemon: its /dev/vfio and /sys accesses reach uvfio\n"
	      "  daemon --dir DIR [--machine FILE]\n"
	      "                           run the daemon in the foreground\n"
	      "  demo [--machine FILE]    build the machine (default: a QEMU q35 with edu, two\n"
	      "                           e1000 behind a PCIe-to-PCI bridge and ICH9), print it,\n"
	      "                           then drive edu through the VFIO uAPI: bind it to\n"
	      "                           vfio-pci, DMA a buffer to the device and back through\n"
	      "                           MAP_DMA, and take its interrupts through eventfds\n"
	      "  tree [--machine FILE]    print the machine: devices, IOMMU groups, drivers\n"
	      "                           (of the running daemon with --dir/UVFIO_DIR, with\n"
	      "                           which program holds what)\n"
	      "  bind BDF DRIVER, unbind BDF, override BDF DRIVER|none, trace\n"
	      "                           verbs on a running daemon (--dir DIR or UVFIO_DIR)\n"
	      "  modprobe [-q] MODULE...  what modprobe says inside uvfio run (the shim\n"
	      "                           sends modprobe there): the world's modules load\n"
	      "  check-machine FILE       parse a machine file (docs/machine-format.md) and\n"
	      "                           build it; report the first problem with its line\n"
	      "  default-machine          print the built-in default machine file\n"
	      "\n"
	      "Run 'uvfio COMMAND --help' for a command's options.\n",
	      out);
}

static struct uvfio_machine *load_machine(const char *path)
{
	struct uvfio_machine *m;
	char err[512];

	if (!path)
		return uvfio_machine_default();
	if (uvfio_machine_load(path, &m, err, sizeof(err))) {
		fprintf(stderr, "uvfio: %s\n", err);
		return NULL;
	}
	return m;
}

static struct uvfio_world *build_world(const char *path)
{
	struct uvfio_machine *m = load_machine(path);
	struct uvfio_world *w;
	char err[512];
	int ret;

	if (!m)
		return NULL;
	ret = uvfio_world_create(m, &w, err, sizeof(err));
	uvfio_machine_free(m);
	if (ret) {
		fprintf(stderr, "uvfio: %s\n", err);
		return NULL;
	}
	return w;
}

/* Parses [--machine FILE] [--help]; returns 0, 1 for help shown, -1 on error. */
static int parse_machine_opt(int argc, char **argv, const char *cmd, const char *what,
			     const char **machine)
{
	static const struct option opts[] = {
		{ "machine", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			*machine = optarg;
			break;
		case 'h':
			printf("Usage: uvfio %s [--machine FILE]\n\n%s\n\n"
			       "  -m, --machine FILE  a machine file (docs/machine-format.md);\n"
			       "                      default: the built-in q35 machine\n"
			       "  -h, --help          this text\n",
			       cmd, what);
			return 1;
		default:
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "uvfio %s: unexpected argument '%s'\n", cmd, argv[optind]);
		return -1;
	}
	return 0;
}

static int cmd_tree(int argc, char **argv)
{
	const char *machine = NULL;
	struct uvfio_world *w;
	int r = parse_machine_opt(argc, argv, "tree",
				  "Prints the machine: its PCI devices, IOMMU groups and drivers.",
				  &machine);

	if (r)
		return r > 0 ? 0 : 2;
	w = build_world(machine);
	if (!w)
		return 1;
	uvfio_world_print_tree(w, stdout);
	uvfio_world_destroy(w);
	return 0;
}

static int cmd_demo(int argc, char **argv)
{
	const char *machine = NULL;
	struct uvfio_world *w;
	int ret,
		r = parse_machine_opt(
			argc, argv, "demo",
			"Builds the machine, prints it, and drives its edu device (00:03.0 by\n"
			"default) through the VFIO uAPI as a VFIO program does on a Linux host:\n"
			"bind to vfio-pci through sysfs, container, group, device, MAP_DMA, a DMA\n"
			"round trip, an MSI and an INTx interrupt through eventfds.",
			&machine);

	if (r)
		return r > 0 ? 0 : 2;
	w = build_world(machine);
	if (!w)
		return 1;
	uvfio_world_print_tree(w, stdout);
	printf("\n");
	ret = demo_run(w);
	uvfio_world_destroy(w);
	return ret;
}

static int cmd_check_machine(int argc, char **argv)
{
	struct uvfio_world *w;

	if (argc != 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("Usage: uvfio check-machine FILE\n\n"
		       "Parses FILE and builds the machine it describes; prints the first\n"
		       "problem as FILE:LINE: problem and exits 1, or prints the machine.\n");
		return argc == 2 ? 0 : 2;
	}
	w = build_world(argv[1]);
	if (!w)
		return 1;
	printf("%s: ok\n", argv[1]);
	uvfio_world_print_tree(w, stdout);
	uvfio_world_destroy(w);
	return 0;
}

/* The daemon to talk to: --dir DIR before the verb, else $UVFIO_DIR. */
static const char *daemon_dir;

static int cmd_ctl(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: uvfio [--dir DIR] %s ...\n\n"
		       "Sent to the running daemon at DIR (or $UVFIO_DIR, which uvfio run sets\n"
		       "for its program):\n"
		       "  tree                       devices, groups, drivers, who holds what\n"
		       "  bind BDF DRIVER            bind BDF to DRIVER (sysfs bind)\n"
		       "  unbind BDF                 unbind BDF from its driver; blocks while a\n"
		       "                             program holds it, as on Linux\n"
		       "  override BDF DRIVER|none   set or clear BDF's driver_override\n"
		       "  trace                      every uAPI call and sysfs write with its\n"
		       "                             result, one JSON object a line, until ^C\n",
		       argv[0]);
		return 0;
	}
	return ctl_command(daemon_dir, argc, argv);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--dir") && argc > 2) {
		daemon_dir = argv[2];
		argv += 2;
		argc -= 2;
		if (argc < 2) {
			usage(stderr);
			return 2;
		}
	} else {
		daemon_dir = getenv("UVFIO_DIR");
	}
	if (!strcmp(argv[1], "--version")) {
		printf("uvfio 0.1.0 (Linux 6.12 VFIO semantics)\n");
		return 0;
	}
	if (daemon_dir &&
	    (!strcmp(argv[1], "tree") || !strcmp(argv[1], "bind") || !strcmp(argv[1], "unbind") ||
	     !strcmp(argv[1], "override") || !strcmp(argv[1], "trace")))
		return cmd_ctl(argc - 1, argv + 1);
	if (!strcmp(argv[1], "bind") || !strcmp(argv[1], "unbind") ||
	    !strcmp(argv[1], "override") || !strcmp(argv[1], "trace")) {
		if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h")))
			return cmd_ctl(argc - 1, argv + 1);
		fprintf(stderr, "uvfio %s: no daemon (use --dir DIR or set UVFIO_DIR)\n", argv[1]);
		return 2;
	}
	if (!strcmp(argv[1], "tree"))
		return cmd_tree(argc - 1, argv + 1);
	if (!strcmp(argv[1], "demo"))
		return cmd_demo(argc - 1, argv + 1);
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "modprobe"))
		return cmd_modprobe(argc - 1, argv + 1);
	if (!strcmp(argv[1], "daemon"))
		return cmd_daemon(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check-machine"))
		return cmd_check_machine(argc - 1, argv + 1);
	if (!strcmp(argv[1], "default-machine")) {
		fputs(uvfio_machine_default_text(), stdout);
		return 0;
	}
	fprintf(stderr, "uvfio: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
