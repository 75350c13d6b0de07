package wheel

import (
	"fmt"
	"strings"

	"github.com/pyinc/pyinc/project"
)

// MetadataVersion is the core metadata version pyinc writes: 2.1 is the
// newest every pip and twine on the Pythons pyinc serves reads.
const MetadataVersion = "2.1"

// Metadata is the core metadata of p: the .dist-info/METADATA of a wheel
// and the PKG-INFO of an sdist. Fields follow the core metadata
// specification, in its order, with the readme as the message body.
func Metadata(p *project.Project) []byte {
	var b strings.Builder
	field := func(k, v string) {
		if v != "" {
			// A value spanning lines continues on lines indented by eight
			// spaces, as email headers do.
			fmt.Fprintf(&b, "%s: %s\n", k, strings.ReplaceAll(strings.TrimRight(v, "\n"), "\n", "\n        "))
		}
	}
	field("Metadata-Version", MetadataVersion)
	field("Name", p.Name)
	field("Version", p.Version)
	field("Summary", p.Summary)
	field("Keywords", strings.Join(p.Keywords, ","))
	authorFields(field, "Author", p.Authors)
	authorFields(field, "Maintainer", p.Maintainers)
	field("License", p.License)
	for _, c := range p.Classifiers {
		field("Classifier", c)
	}
	for _, u := range p.URLs {
		field("Project-URL", u[0]+", "+u[1])
	}
	field("Requires-Python", p.RequiresPython)
	for _, e := range p.Extras {
		field("Provides-Extra", e)
	}
	for _, d := range p.Dependencies {
		field("Requires-Dist", d)
	}
	if p.ReadmeText != "" {
		field("Description-Content-Type", p.ReadmeType)
		b.WriteString("\n")
		b.WriteString(p.ReadmeText)
		if !strings.HasSuffix(p.ReadmeText, "\n") {
			b.WriteString("\n")
		}
	}
	return []byte(b.String())
}

// authorFields writes people as Author (names of those without an email)
// and Author-email ("Name <email>" or the bare email), as PEP 621 maps them.
func authorFields(field func(k, v string), key string, people []project.Person) {
	var names, emails []string
	for _, a := range people {
		switch {
		case a.Email == "":
			names = append(names, a.Name)
		case a.Name == "":
			emails = append(emails, a.Email)
		default:
			emails = append(emails, fmt.Sprintf("%s <%s>", a.Name, a.Email))
		}
	}
	field(key, strings.Join(names, ", "))
	field(key+"-email", strings.Join(emails, ", "))
}
