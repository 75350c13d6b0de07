package project

import "testing"

// TestCheckRequirement: requirements as PEP 508 writes them, and values
// it does not allow (each refused naming itself).
func TestCheckRequirement(t *testing.T) {
	for _, good := range []string{
		"name", "A.B-C_D", "name>=1.0", "name[a,b]>=1.0,<2", "name [ a , b ] (>=1.0)", "name[] >= 1",
		"name @ https://example.org/name-1.0.whl", "name @ file:///tmp/name.whl ; os_name == 'posix'",
		"name; python_version<'3.8'", "name==1.0.*", "name~=1.4.5", "name===arbitrary", "name!=1.0+local",
		`name; extra == "x" and (os_name == "nt" or platform_machine != "x86_64")`,
		`name; "linux" in sys_platform and python_full_version not in "3.8.0"`,
	} {
		if err := CheckRequirement(good); err != nil {
			t.Errorf("CheckRequirement(%q): %v", good, err)
		}
	}
	for _, bad := range []string{
		"", "!!", "name>=", "name>=1.0+local", "name~=1", "name<1.0.*", "name; foo == 'x'", "name[a b]",
		"name @ notaurl", "name; os_name == 'x", "name (>=1.0", "name >= 1.0 junk", "name>=v1", "-name",
		"name; os_name ==", "name; (os_name == 'x'", "name=1.0",
	} {
		if err := CheckRequirement(bad); err == nil {
			t.Errorf("CheckRequirement(%q) accepted it", bad)
		}
	}
}

func TestCheckSpecifierSet(t *testing.T) {
	for _, good := range []string{">=3.8", ">=3.8, !=3.9.*, <4", "~=3.10", "==3.*", "===foo", "> 3.7.1rc1", "<=3!1.0"} {
		if err := CheckSpecifierSet(good); err != nil {
			t.Errorf("CheckSpecifierSet(%q): %v", good, err)
		}
	}
	for _, bad := range []string{"", "banana", "3.8", ">=3.x", ">=3.8,", ">=3.8 <4", "~=3", ">=3.*", "<4+local", "=3.8"} {
		if err := CheckSpecifierSet(bad); err == nil {
			t.Errorf("CheckSpecifierSet(%q) accepted it", bad)
		}
	}
}
