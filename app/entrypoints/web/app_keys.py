"""Typed keys for what the web app keeps in ``web.Application``."""

from aiohttp import web

from app.entrypoints.service import OrderService

SERVICE = web.AppKey("service", OrderService)
