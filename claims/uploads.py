"""Uploaded files, kept only as far as anything reads them.

The citation import is the only form that takes a file (.bib, .ris, .json), and it reads at
most DJANGO_CITATION_IMPORT_MAX_BYTES of it. Django's own handlers keep a whole upload, in
memory or in a temporary file, before any view can look at its size; this one keeps the first
limit + 1 bytes in memory and only counts the rest, so the file's `size` is still its real
size (the form refuses on it) and a huge upload costs neither memory nor disk.
"""

from io import BytesIO

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from .limits import citation_import_max_bytes


class BoundedUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.file = BytesIO()
        self.room = citation_import_max_bytes() + 1

    def receive_data_chunk(self, raw_data, start):
        if self.room > 0:
            kept = raw_data[: self.room]
            self.file.write(kept)
            self.room -= len(kept)
        # None: no later handler sees the chunk; the rest of the file is dropped, not kept.

    def file_complete(self, file_size):
        self.file.seek(0)
        return InMemoryUploadedFile(
            file=self.file,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,  # what was sent, not what was kept
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
