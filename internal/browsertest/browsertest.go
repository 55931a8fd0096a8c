// Package browsertest holds what huella's headless-Chromium tests share.
// It is imported by tests only.
package browsertest

import (
	"context"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// NavigateRetry is chromedp.Navigate that tries again when the navigation
// was aborted by one still settling in the page (net::ERR_ABORTED: a form
// redirect or a script's location change landing at the same moment).
func NavigateRetry(url string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		var err error
		for range 4 {
			var v chromedp.Void
			v, err = chromedp.Navigate(url)(ctx, t)
			if err == nil || !strings.Contains(err.Error(), "ERR_ABORTED") {
				return v, err
			}
			select {
			case <-ctx.Done():
				return v, ctx.Err()
			case <-time.After(300 * time.Millisecond):
			}
		}
		return chromedp.Void{}, err
	}
}
