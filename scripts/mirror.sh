#!/usr/bin/env bash
# Prints the Debian mirror this machine's apt is configured with: the first
# URIs: of /etc/apt/sources.list.d/*.sources, else the first deb line of
# /etc/apt/sources.list or /etc/apt/sources.list.d/*.list. Security archives
# are left aside, and so are other vendors' repositories (an entry signed
# by a key other than Debian's archive keyring). Nothing in the repository
# names a mirror: the project works wherever apt is configured.
# Sourced by the other scripts; run alone, it prints the mirror or fails.
# APT_ETC names another apt configuration directory (for trying this out).
debian_mirror() {
	local etc=${APT_ETC:-/etc/apt} f uri
	for f in "$etc"/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# deb822: one stanza a paragraph, keys case-insensitive.
		uri=$(awk 'BEGIN { RS = "" }
			{
				uri = ""; signed = ""; types = ""
				n = split($0, lines, "\n")
				for (i = 1; i <= n; i++) {
					split(lines[i], w, /[ \t]+/)
					key = tolower(w[1])
					if (key == "uris:") uri = w[2]
					else if (key == "signed-by:") signed = w[2]
					else if (key == "types:") types = lines[i]
				}
				if (uri != "" && uri !~ /security/ && types ~ /[ \t]deb([ \t]|$)/ &&
				    (signed == "" || signed ~ /debian-archive-keyring/)) { print uri; exit }
			}' "$f")
		[ -n "$uri" ] && { echo "${uri%/}"; return 0; }
	done
	for f in "$etc"/sources.list "$etc"/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		uri=$(awk '$1 == "deb" {
				signed = ""
				for (i = 2; i <= NF; i++) {
					if ($i ~ /signed-by=/) signed = $i
					if ($i ~ /^[a-z+]+:\/\//) {
						if ($i !~ /security/ && (signed == "" || signed ~ /debian-archive-keyring/)) { print $i; exit }
						break
					}
				}
			}' "$f")
		[ -n "$uri" ] && { echo "${uri%/}"; return 0; }
	done
	return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	debian_mirror || { echo "mirror: no Debian mirror in the apt configuration (${APT_ETC:-/etc/apt}: sources.list.d/*.sources, sources.list, sources.list.d/*.list)" >&2; exit 1; }
fi
