"""Development tools: the embedded broker, dev keys, `nav-adapter dev` and `request`.

The runtime (`adapter`) never imports this package; it may import the sandbox.
"""
