#!/usr/bin/env bash
# Prints the Debian mirror this machine's apt is configured with: the first
# URIs: of /etc/apt/sources.list.d/*.sources, else the first deb line of
# /etc/apt/sources.list (security archives left aside). Nothing in the
# repository names a mirror: the project works wherever apt is configured.
# Sourced by the other scripts; run alone, it prints the mirror or fails.
debian_mirror() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk '/^[Uu][Rr][Ii][Ss]:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
		[ -n "$uri" ] && { echo "${uri%/}"; return 0; }
	done
	if [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { if ($i !~ /security/) { print $i; exit } else break } }' /etc/apt/sources.list)
		[ -n "$uri" ] && { echo "${uri%/}"; return 0; }
	fi
	return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	debian_mirror || { echo "mirror: no Debian mirror in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list" >&2; exit 1; }
fi
