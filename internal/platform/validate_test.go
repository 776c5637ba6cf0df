package platform

import (
	"strings"
	"testing"
)

func TestAppIDValidators(t *testing.T) {
	tests := []struct {
		name  string
		valid func(string) bool
		id    string
		want  bool
	}{
		{"wechat ok", ValidWeChatAppID, "wx1234567890abcdef", true},
		{"wechat upper hex", ValidWeChatAppID, "wx1234567890ABCDEF", false},
		{"wechat short", ValidWeChatAppID, "wx1234567890abcde", false},
		{"wechat prefix", ValidWeChatAppID, "wa1234567890abcdef", false},
		{"wechat not hex", ValidWeChatAppID, "wx1234567890abcdeg", false},
		{"wechat empty", ValidWeChatAppID, "", false},
		{"alipay ok", ValidAlipayAppID, "2021001234567890", true},
		{"alipay doc placeholder", ValidAlipayAppID, "202100216xxxxxxx", false},
		{"alipay 15 digits", ValidAlipayAppID, "202100123456789", false},
		{"baidu ok", ValidBaiduAppKey, "4fecoAqgCIUtzIyA4FAPgoyrc4oUc25c", true},
		{"baidu 31", ValidBaiduAppKey, "4fecoAqgCIUtzIyA4FAPgoyrc4oUc25", false},
		{"baidu punctuation", ValidBaiduAppKey, "4fecoAqgCIUtzIyA4FAPgoyrc4oUc2-c", false},
		{"douyin 16", ValidDouyinAppID, "tt1234567890abcdef", true},
		{"douyin 18", ValidDouyinAppID, "tt07e3715e98c9aac012", true},
		{"douyin 17", ValidDouyinAppID, "tt1234567890abcdef0", false},
		{"douyin upper", ValidDouyinAppID, "tt1234567890ABCDEF", false},
		{"douyin short", ValidDouyinAppID, "t", false},
		{"qq 10", ValidQQAppID, "1108291530", true},
		{"qq 8", ValidQQAppID, "11082915", true},
		{"qq 12", ValidQQAppID, "110829153012", true},
		{"qq 7", ValidQQAppID, "1108291", false},
		{"qq 13", ValidQQAppID, "1108291530123", false},
		{"qq letters", ValidQQAppID, "11082915a0", false},
		{"kuaishou ok", ValidKuaishouAppID, "ks123456789012345678", true},
		{"kuaishou 17", ValidKuaishouAppID, "ks12345678901234567", false},
		{"kuaishou hex", ValidKuaishouAppID, "ks12345678901234567a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.valid(tt.id); got != tt.want {
				t.Errorf("valid(%q) = %v, want %v", tt.id, got, tt.want)
			}
		})
	}
}

func TestValidPagePath(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"pages/index/index", true},
		{"/pages/index/index", true},
		{"index", true},
		{"pkg-a/pages_b/c.d~e", true},
		{"", false},
		{"/", false},
		{"//pages/index", false},
		{"pages//index", false},
		{"pages/index/", false},
		{"https://evil.example/x", false},
		{"javascript:alert(1)", false},
		{"pages/index?id=1", false},
		{"pages/index#top", false},
		{"pages/my page", false},
		{"pages/%2e%2e", false},
		{"pages/../secret", false},
		{"./pages", false},
		{"pages/\tindex", false},
		{"pages/首页", false},
		{strings.Repeat("a", 256), true},
		{"/" + strings.Repeat("a", 255), true},
		{strings.Repeat("a", 257), false},
	}
	for _, tt := range tests {
		if got := ValidPagePath(tt.path); got != tt.want {
			t.Errorf("ValidPagePath(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}
