// SPDX-License-Identifier: MIT
/*
 * Programs run under uvfio see uvfio's drivers, not this machine's kernel
 * modules: tools such as driverctl run `modprobe vfio-pci` before binding.
 * An exec of modprobe is redirected to `uvfio modprobe` ($UVFIO_MODPROBE),
 * which knows the world's modules and never touches the real kernel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

#define MAX_ARGS 64

static bool is_modprobe(const char *path)
{
	const char *base = strrchr(path, '/');

	return !strcmp(base ? base + 1 : path, "modprobe");
}

/* Builds {tool, "modprobe", argv[1..]}; false if there is no tool or too many arguments. */
static bool modprobe_argv(char *const argv[], const char **tool, char *out[MAX_ARGS + 2])
{
	int i;

	*tool = shim_active() ? getenv("UVFIO_MODPROBE") : NULL;
	if (!*tool || !**tool)
		return false;
	out[0] = (char *)*tool;
	out[1] = (char *)"modprobe";
	for (i = 1; argv && argv[i]; i++) {
		if (i >= MAX_ARGS)
			return false;
		out[i + 1] = argv[i];
	}
	out[i + 1] = NULL;
	return true;
}

SHIM_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	char *nargv[MAX_ARGS + 2];
	const char *tool;

	if (is_modprobe(path) && modprobe_argv(argv, &tool, nargv))
		return REAL(execve)(tool, nargv, envp);
	return REAL(execve)(path, argv, envp);
}

SHIM_EXPORT int execv(const char *path, char *const argv[])
{
	char *nargv[MAX_ARGS + 2];
	const char *tool;

	if (is_modprobe(path) && modprobe_argv(argv, &tool, nargv))
		return REAL(execv)(tool, nargv);
	return REAL(execv)(path, argv);
}

SHIM_EXPORT int execvp(const char *file, char *const argv[])
{
	char *nargv[MAX_ARGS + 2];
	const char *tool;

	if (is_modprobe(file) && modprobe_argv(argv, &tool, nargv))
		return REAL(execv)(tool, nargv);
	return REAL(execvp)(file, argv);
}

SHIM_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	char *nargv[MAX_ARGS + 2];
	const char *tool;

	if (is_modprobe(file) && modprobe_argv(argv, &tool, nargv))
		return REAL(execve)(tool, nargv, envp);
	return REAL(execvpe)(file, argv, envp);
}
