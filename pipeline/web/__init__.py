"""The web portal for officers and staff (`khuyencong web`): pipeline.web.app."""

from pipeline.web.app import WebSettings, create_app

__all__ = ["WebSettings", "create_app"]
