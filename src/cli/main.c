// SPDX-License-Identifier: MIT
/*
 * uvfio: the command-line front end.
 *
 *   uvfio run [--machine FILE | --attach DIR] -- PROGRAM   a program under uvfio
 *   uvfio daemon --dir DIR         the daemon in the foreground
 *   uvfio demo  [--machine FILE]   build the machine, print it, run the edu example job
 *   uvfio tree  [--machine FILE]   print the machine: devices, IOMMU groups, drivers
 *   uvfio bind/unbind/override/trace   verbs on a running daemon (ctl.c)
 *   uvfio mdev-parent add|remove|list  mdev parents of a running daemon
 *   uvfio check-machine FILE       parse a machine file and report problems
 *   uvfio default-machine          print the built-in machine file
 *   uvfio modprobe MODULE          what modprobe says under uvfio run
 *
 * Every verb takes -h/--help (its usage on stdout, exit 0); a bad option or
 * argument prints the usage on stderr and exits 2. docs/uvfio.1 documents
 * every verb of usage(): tests/cli checks that they match.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "uvfio/uvfio.h"

/*
 * One line per verb under "Commands:", starting with two spaces and the verb
 * (tests/cli/cli-test.sh reads the verbs from there); continuation lines are
 * indented further.
 */
static void usage(FILE *out)
{
	fputs("Usage: uvfio [--dir DIR] COMMAND [OPTIONS] [ARGS]\n"
	      "       uvfio --help | --version | help COMMAND\n"
	      "\n"
	      "uvfio is the Linux VFIO framework in userspace: the driver core, IOMMU groups,\n"
	      "VFIO containers, groups and devices, type1 and vfio-pci over emulated PCI\n"
	      "devices, with Linux 6.12's semantics and errnos.\n"
	      "\n"
	      "Commands:\n"
	      "  run [--machine FILE] -- PROGRAM [ARGS]\n"
	      "                           run an unmodified program against a private uvfio\n"
	      "                           daemon: its /dev/vfio and /sys accesses reach uvfio\n"
	      "  run --attach DIR -- PROGRAM [ARGS]\n"
	      "                           the same against the daemon already serving DIR\n"
	      "  daemon --dir DIR [--machine FILE]\n"
	      "                           run the daemon in the foreground, serving DIR\n"
	      "  tree [--machine FILE]    print the machine: devices, IOMMU groups, drivers\n"
	      "                           (of the running daemon with --dir/UVFIO_DIR, with\n"
	      "                           which program holds what)\n"
	      "  bind BDF DRIVER          bind a device to a driver (sysfs bind)\n"
	      "  unbind BDF               unbind a device from its driver\n"
	      "  override BDF DRIVER|none set or clear a device's driver_override\n"
	      "  unplug BDF               hot-remove a device (a program holding it is asked\n"
	      "                           to let go, and waited for)\n"
	      "  plug BDF                 put an unplugged device back and rescan its bus\n"
	      "  kill-holder BDF          kill the programs holding a device's VFIO file\n"
	      "  mdev-parent add MODEL NAME [KEY=VALUE...] | remove NAME | list\n"
	      "                           add a mediated-device parent (vendor model mtty)\n"
	      "                           at run time, remove one (waits for the programs\n"
	      "                           holding its mdevs), or list them with their types\n"
	      "  trace [--format text|json] [--dev BDF] [--kind KINDS]\n"
	      "                           stream the daemon's uAPI calls (decoded), region\n"
	      "                           accesses, sysfs writes, DMA, interrupts, messages\n"
	      "                           (the verbs from bind to trace act on the running\n"
	      "                           daemon at --dir DIR or $UVFIO_DIR)\n"
	      "  demo [--machine FILE]    build the machine (default: a QEMU q35 with edu, two\n"
	      "                           e1000 behind a PCIe-to-PCI bridge and ICH9), print it,\n"
	      "                           then drive edu through the VFIO uAPI in-process\n"
	      "  check-machine FILE       parse a machine file (docs/machine-format.md) and\n"
	      "                           build it; report the first problem with its line\n"
	      "  default-machine          print the built-in default machine file\n"
	      "  modprobe [-q] MODULE     what modprobe says inside uvfio run (the shim\n"
	      "                           sends modprobe there): the world's modules load\n"
	      "\n"
	      "Options:\n"
	      "  -d, --dir DIR            the daemon the verbs act on (default: $UVFIO_DIR)\n"
	      "  -h, --help               this text\n"
	      "  -V, --version            the version\n"
	      "\n"
	      "Run 'uvfio COMMAND --help' for a command's options; man uvfio for more.\n",
	      out);
}

/* A verb's usage: to stdout for --help (returns 0), to stderr otherwise (returns 2). */
static int verb_usage(bool help, const char *text)
{
	fputs(text, help ? stdout : stderr);
	return help ? 0 : 2;
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

/*
 * Options of the form [--machine FILE] [--help], then positional arguments.
 * Returns the index of the first positional argument; -1 after --help (usage
 * shown), -2 on a bad option (usage shown on stderr).
 */
static int parse_machine_opt(int argc, char **argv, const char *usage_text, const char **machine)
{
	static const struct option opts[] = {
		{ "machine", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			*machine = optarg;
			break;
		case 'h':
			verb_usage(true, usage_text);
			return -1;
		default:
			verb_usage(false, usage_text);
			return -2;
		}
	}
	return optind;
}

/* Exit status after parse_machine_opt() showed the usage. */
#define USAGE_STATUS(r) ((r) == -1 ? 0 : 2)

/* The daemon to talk to: --dir DIR before the verb, else $UVFIO_DIR. */
static const char *daemon_dir;

static const char tree_usage[] =
	"Usage: uvfio [--dir DIR] tree [--machine FILE]\n"
	"\n"
	"With a running daemon (--dir DIR, or $UVFIO_DIR, which uvfio run sets for its\n"
	"program): the daemon's PCI devices with their IOMMU groups and drivers, its\n"
	"IOMMU groups and drivers, then its open files: which process (pid) holds which\n"
	"container, group or device. Otherwise, or with --machine: the machine built\n"
	"in-process.\n"
	"\n"
	"  -m, --machine FILE  a machine file (docs/machine-format.md); default: the\n"
	"                      built-in q35 machine\n"
	"  -h, --help          this text\n";

static int cmd_tree(int argc, char **argv)
{
	const char *machine = NULL;
	struct uvfio_world *w;
	int r = parse_machine_opt(argc, argv, tree_usage, &machine);

	if (r < 0)
		return USAGE_STATUS(r);
	if (r < argc) {
		fprintf(stderr, "uvfio tree: unexpected argument '%s'\n\n", argv[r]);
		return verb_usage(false, tree_usage);
	}
	if (daemon_dir && !machine) {
		char *verb[] = { (char *)"tree", NULL };

		return ctl_command(daemon_dir, 1, verb);
	}
	w = build_world(machine);
	if (!w)
		return 1;
	uvfio_world_print_tree(w, stdout);
	uvfio_world_destroy(w);
	return 0;
}

static const char demo_usage[] =
	"Usage: uvfio demo [--machine FILE]\n"
	"\n"
	"Builds the machine, prints it, and drives its edu device (00:03.0 by default)\n"
	"through the VFIO uAPI as a VFIO program does on a Linux host, in-process on the\n"
	"core library: bind to vfio-pci through sysfs, container, group, device,\n"
	"MAP_DMA, a DMA round trip, an MSI and an INTx interrupt through eventfds.\n"
	"\n"
	"  -m, --machine FILE  a machine file (docs/machine-format.md); default: the\n"
	"                      built-in q35 machine\n"
	"  -h, --help          this text\n";

static int cmd_demo(int argc, char **argv)
{
	const char *machine = NULL;
	struct uvfio_world *w;
	int ret, r = parse_machine_opt(argc, argv, demo_usage, &machine);

	if (r < 0)
		return USAGE_STATUS(r);
	if (r < argc) {
		fprintf(stderr, "uvfio demo: unexpected argument '%s'\n\n", argv[r]);
		return verb_usage(false, demo_usage);
	}
	w = build_world(machine);
	if (!w)
		return 1;
	uvfio_world_print_tree(w, stdout);
	printf("\n");
	ret = demo_run(w);
	uvfio_world_destroy(w);
	return ret;
}

static const char check_machine_usage[] =
	"Usage: uvfio check-machine FILE\n"
	"\n"
	"Parses FILE (docs/machine-format.md) and builds the machine it describes;\n"
	"prints the first problem as FILE:LINE: problem and exits 1, or prints\n"
	"'FILE: ok' and the machine.\n"
	"\n"
	"  -h, --help  this text\n";

static int cmd_check_machine(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct uvfio_world *w;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
		return verb_usage(c == 'h', check_machine_usage);
	if (argc - optind != 1)
		return verb_usage(false, check_machine_usage);
	w = build_world(argv[optind]);
	if (!w)
		return 1;
	printf("%s: ok\n", argv[optind]);
	uvfio_world_print_tree(w, stdout);
	uvfio_world_destroy(w);
	return 0;
}

static const char default_machine_usage[] =
	"Usage: uvfio default-machine\n"
	"\n"
	"Prints the built-in default machine (a QEMU q35 with edu at 00:03.0, two e1000\n"
	"behind a PCIe-to-PCI bridge and ICH9) in the machine file format, to start a\n"
	"machine file of one's own from.\n"
	"\n"
	"  -h, --help  this text\n";

static int cmd_default_machine(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
		return verb_usage(c == 'h', default_machine_usage);
	if (optind < argc)
		return verb_usage(false, default_machine_usage);
	fputs(uvfio_machine_default_text(), stdout);
	return 0;
}

/*
 * The verbs a running daemon serves on its control socket
 * (src/daemon/control.c), sent by ctl.c with their positional arguments.
 */
struct ctl_verb {
	const char *name;
	int nargs; /* positional arguments, exactly */
	const char *usage;
};

static const struct ctl_verb ctl_verbs[] = {
	{ "bind", 2,
	  "Usage: uvfio [--dir DIR] bind BDF DRIVER\n"
	  "\n"
	  "Binds the device BDF (e.g. 0000:00:03.0) to DRIVER (e.g. vfio-pci), as\n"
	  "echo BDF > /sys/bus/pci/drivers/DRIVER/bind does, on the daemon at DIR\n"
	  "(or $UVFIO_DIR). Prints ok, or the error the kernel would give (exit 1).\n"
	  "\n"
	  "  -h, --help  this text\n" },
	{ "unbind", 1,
	  "Usage: uvfio [--dir DIR] unbind BDF\n"
	  "\n"
	  "Unbinds the device BDF from its driver, as echo BDF > its driver's unbind\n"
	  "does, on the daemon at DIR (or $UVFIO_DIR). As on Linux, unbinding a device\n"
	  "from vfio-pci waits while a program holds it open. Prints ok, or the error\n"
	  "(exit 1).\n"
	  "\n"
	  "  -h, --help  this text\n" },
	{ "override", 2,
	  "Usage: uvfio [--dir DIR] override BDF DRIVER|none\n"
	  "\n"
	  "Sets the device BDF's driver_override to DRIVER, or clears it with none, on\n"
	  "the daemon at DIR (or $UVFIO_DIR). The device is not reprobed: unbind it and\n"
	  "write drivers_probe (or bind) for the override to take effect. Prints ok, or\n"
	  "the error (exit 1).\n"
	  "\n"
	  "  -h, --help  this text\n" },
	{ "unplug", 1,
	  "Usage: uvfio [--dir DIR] unplug BDF\n"
	  "\n"
	  "Hot-removes the device BDF (a bridge with everything below it) from the\n"
	  "machine of the daemon at DIR (or $UVFIO_DIR), as an orderly PCIe hot-removal\n"
	  "does: its driver is released, and for vfio-pci a program holding it is asked\n"
	  "through its REQ eventfd (at once, then every 10 s) and waited for. Rescans do\n"
	  "not find it until uvfio plug. Prints ok, or the error (exit 1).\n"
	  "\n"
	  "  -h, --help  this text\n" },
	{ "plug", 1,
	  "Usage: uvfio [--dir DIR] plug BDF\n"
	  "\n"
	  "Puts the unplugged device BDF back in its slot and rescans its bus: it comes\n"
	  "back as a new device, in its IOMMU group, and auto-probes. Prints ok, or the\n"
	  "error (exit 1; File exists if it is present).\n"
	  "\n"
	  "  -h, --help  this text\n" },
	{ "kill-holder", 1,
	  "Usage: uvfio [--dir DIR] kill-holder BDF\n"
	  "\n"
	  "Sends SIGKILL to every process holding the VFIO device file of BDF (uvfio\n"
	  "tree lists them under \"blocked\" while an unbind or removal waits for\n"
	  "them); their files close and the waiting unbind or removal completes.\n"
	  "\n"
	  "  -h, --help  this text\n" },
};

static const char mdev_parent_usage[] =
	"Usage: uvfio [--dir DIR] mdev-parent add MODEL NAME [KEY=VALUE...]\n"
	"       uvfio [--dir DIR] mdev-parent remove NAME\n"
	"       uvfio [--dir DIR] mdev-parent list\n"
	"\n"
	"Mediated-device parents of the daemon at DIR (or $UVFIO_DIR), at run time.\n"
	"add instantiates the vendor model MODEL (mtty: the kernel's sample serial\n"
	"ports, types mtty-1 and mtty-2) as a parent called NAME, with the model's\n"
	"parameters, as the machine file's mdev-parent line does; it appears in\n"
	"/sys/class/mdev_bus/NAME with its mdev_supported_types. remove unregisters\n"
	"it as a vendor driver going away does: creates and removes in flight finish,\n"
	"new ones fail (No such device), and every mdev of it is removed, which waits\n"
	"while a program holds it open (uvfio tree shows who). list prints each\n"
	"parent with its types, their available_instances and mdev count. add and\n"
	"remove print ok, or the error (exit 1: No such file or directory for an\n"
	"unknown model, File exists for a name in use, No such device for remove of\n"
	"an unknown parent).\n"
	"\n"
	"  -h, --help  this text\n";

static int cmd_mdev_parent(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sub;
	int c, nargs;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
		return verb_usage(c == 'h', mdev_parent_usage);
	nargs = argc - optind;
	if (!nargs) {
		fprintf(stderr, "uvfio mdev-parent: missing argument\n\n");
		return verb_usage(false, mdev_parent_usage);
	}
	sub = argv[optind];
	if (strcmp(sub, "add") && strcmp(sub, "remove") && strcmp(sub, "list")) {
		fprintf(stderr, "uvfio mdev-parent: unknown action '%s'\n\n", sub);
		return verb_usage(false, mdev_parent_usage);
	}
	if ((!strcmp(sub, "add") && nargs < 3) || (!strcmp(sub, "remove") && nargs < 2)) {
		fprintf(stderr, "uvfio mdev-parent %s: missing argument\n\n", sub);
		return verb_usage(false, mdev_parent_usage);
	}
	if ((!strcmp(sub, "remove") && nargs > 2) || (!strcmp(sub, "list") && nargs > 1)) {
		fprintf(stderr, "uvfio mdev-parent %s: too many arguments\n\n", sub);
		return verb_usage(false, mdev_parent_usage);
	}
	for (int i = optind + 3; !strcmp(sub, "add") && i < argc; i++) {
		if (!strchr(argv[i], '=') || argv[i][0] == '=') {
			fprintf(stderr, "uvfio mdev-parent add: '%s' is not KEY=VALUE\n\n",
				argv[i]);
			return verb_usage(false, mdev_parent_usage);
		}
	}
	if (!daemon_dir) {
		fprintf(stderr, "uvfio mdev-parent: no daemon (use --dir DIR or set UVFIO_DIR)\n");
		return 2;
	}
	/* argv[optind - 1] becomes the verb: "mdev-parent add MODEL NAME ...". */
	argv[optind - 1] = (char *)"mdev-parent";
	return ctl_command(daemon_dir, nargs + 1, argv + optind - 1);
}

static int cmd_ctl(const struct ctl_verb *v, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *args[8];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
		return verb_usage(c == 'h', v->usage);
	if (argc - optind != v->nargs) {
		fprintf(stderr, "uvfio %s: %s\n\n", v->name,
			argc - optind < v->nargs ? "missing argument" : "too many arguments");
		return verb_usage(false, v->usage);
	}
	if (!daemon_dir) {
		fprintf(stderr, "uvfio %s: no daemon (use --dir DIR or set UVFIO_DIR)\n", v->name);
		return 2;
	}
	args[0] = (char *)v->name;
	for (int i = 0; i < v->nargs; i++)
		args[i + 1] = argv[optind + i];
	args[v->nargs + 1] = NULL;
	return ctl_command(daemon_dir, v->nargs + 1, args);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static char verb_name[64];
	const char *verb;
	int c;

	daemon_dir = getenv("UVFIO_DIR");
	if (daemon_dir && !*daemon_dir)
		daemon_dir = NULL;
	/* Options before the verb; the verb's own options are its business ("+"). */
	while ((c = getopt_long(argc, argv, "+d:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			daemon_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("uvfio %s (Linux 6.12 VFIO semantics)\n", UVFIO_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	argc -= optind;
	argv += optind;
	verb = argv[0];

	/* uvfio help [COMMAND] is uvfio [COMMAND] --help. */
	if (!strcmp(verb, "help")) {
		static char help_opt[] = "--help";
		static char *hargv[3];

		if (argc < 2) {
			usage(stdout);
			return 0;
		}
		if (argc > 2) {
			usage(stderr);
			return 2;
		}
		hargv[0] = argv[1];
		hargv[1] = help_opt;
		argc = 2;
		argv = hargv;
		verb = argv[0];
	}

	/* getopt's messages name the verb: "uvfio run: unrecognized option". */
	snprintf(verb_name, sizeof(verb_name), "uvfio %s", verb);
	argv[0] = verb_name;

	for (size_t i = 0; i < sizeof(ctl_verbs) / sizeof(ctl_verbs[0]); i++)
		if (!strcmp(verb, ctl_verbs[i].name))
			return cmd_ctl(&ctl_verbs[i], argc, argv);
	if (!strcmp(verb, "tree"))
		return cmd_tree(argc, argv);
	if (!strcmp(verb, "mdev-parent"))
		return cmd_mdev_parent(argc, argv);
	if (!strcmp(verb, "trace"))
		return cmd_trace(daemon_dir, argc, argv);
	if (!strcmp(verb, "demo"))
		return cmd_demo(argc, argv);
	if (!strcmp(verb, "run"))
		return cmd_run(argc, argv);
	if (!strcmp(verb, "modprobe"))
		return cmd_modprobe(argc, argv);
	if (!strcmp(verb, "daemon"))
		return cmd_daemon(argc, argv);
	if (!strcmp(verb, "check-machine"))
		return cmd_check_machine(argc, argv);
	if (!strcmp(verb, "default-machine"))
		return cmd_default_machine(argc, argv);
	fprintf(stderr, "uvfio: unknown command '%s'\n\n", verb);
	usage(stderr);
	return 2;
}
