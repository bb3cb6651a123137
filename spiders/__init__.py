"""Scrapy spiders: one template spider per CMS family; portals are TOML files in ``spiders/portals``."""
