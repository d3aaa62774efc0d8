"""A stand-in for Colab's ``google.colab`` package, used only by the replica (``make colab``).

Colab's kernel imports ``google.colab`` when it starts; the notebooks' set-up cell tests just
that (``"google.colab" in sys.modules``) and isolearn uses nothing else of it. The replica puts
this directory on the kernel's path and imports it from an IPython start-up file.
"""

STANDIN = True  # the real package has no such name: a test can tell the two apart
