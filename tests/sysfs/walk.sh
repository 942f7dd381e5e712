#!/bin/bash
# Prints the whole /sys a program sees, one line a node, sorted: path, type,
# mode, then a link's target or a readable file's content (text as is, with
# newlines shown as \n; binary files such as config as hex). Run under
# `uvfio run`; walk-test.sh compares it with a recorded walk. Files whose
# reading has side effects on a device (resourceN, rom: the BARs) and
# write-only attributes show no content.
set -u
LC_ALL=C
export LC_ALL
find /sys -mindepth 1 -printf '%p %y %m\n' 2>/dev/null | sort | while read -r path type mode; do
	case $type in
	l) printf '%s l %s -> %s\n' "$path" "$mode" "$(readlink "$path")" ;;
	d) printf '%s d %s\n' "$path" "$mode" ;;
	f)
		name=${path##*/}
		case $name in
		resource[0-9]* | rom) printf '%s f %s (device memory)\n' "$path" "$mode" ;;
		config | vpd) printf '%s f %s hex:%s\n' "$path" "$mode" "$(od -An -v -tx1 "$path" 2>&1 | tr -d ' \n')" ;;
		*)
			if [ $((0$mode & 0444)) = 0 ]; then
				printf '%s f %s (write-only)\n' "$path" "$mode"
			else
				printf '%s f %s %s\n' "$path" "$mode" "$(cat "$path" 2>&1 | sed -z 's/\n/\\n/g')"
			fi
			;;
		esac
		;;
	*) printf '%s %s %s\n' "$path" "$type" "$mode" ;;
	esac
done
