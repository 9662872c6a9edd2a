"""The smsform web app's own code: models, forms, services, views and commands.

``app.create_app`` assembles it; ``cafe24/`` (the gateway library) and ``simulator/``
(the faithful gateway) sit beside it and import nothing from here.
"""
