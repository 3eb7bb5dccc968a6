"""The no-Docker local stack: moto server as the embedded AWS, the template's routes over HTTP."""
